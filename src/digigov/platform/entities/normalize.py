"""Comparable forms of what identifies a person or an enterprise, for linkage (一人一档 / 一企一档).

Values in the clean layer are already normalised by their data element (half-width, trimmed, simplified);
these functions go one step further, to the forms two departments' records can be compared in: a checked
ID or USCC, a name's pinyin, an enterprise name without its legal-form suffix, a phone number's national
digits, an address's province / city / county (cpca).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from digigov.platform.standards import validators
from digigov.platform.standards.normalize import halfwidth, nospace, simplified, upper

#: Legal-form suffixes, longest first, so that 股份有限公司 is not read as …股份 + 有限公司.
LEGAL_FORMS: tuple[str, ...] = (
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "股份合作公司", "普通合伙企业", "有限合伙企业",
    "合伙企业", "个人独资企业", "农民专业合作社", "专业合作社", "合作社", "分公司", "公司",
)
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_PUNCT = re.compile(r"[\s·.,，。、:：;；'\"“”‘’\-—_/\\]+")


def _clean_code(value: str | None) -> str:
    return upper(nospace(halfwidth(value or "")))


def citizen_id(value: str | None) -> str | None:
    """The ID in its standard form if its checksum and birth date are valid (GB 11643), else None. The same
    check as the data element's validator: a county code stdnum does not know (a new district) is not a failure."""
    code = _clean_code(value)
    return code if len(code) == 18 and validators.citizen_id(code) is None else None


def id_status(value: str | None) -> str:
    """``valid``, ``invalid`` (present but failing its checksum or date) or ``missing``."""
    code = _clean_code(value)
    if not code:
        return "missing"
    return "valid" if citizen_id(code) else "invalid"


def credit_code(value: str | None) -> str | None:
    """The 统一社会信用代码 in its standard form if its check character is valid (GB 32100), else None."""
    code = _clean_code(value)
    return code if len(code) == 18 and validators.uscc_code(code) is None else None


def uscc_status(value: str | None) -> str:
    """``valid``, ``invalid`` or ``missing`` for a 统一社会信用代码."""
    code = _clean_code(value)
    if not code:
        return "missing"
    return "valid" if credit_code(code) else "invalid"


def person_name(value: str | None) -> str:
    """A name as compared: simplified characters, no spaces, the interpunct of minority names kept as ·."""
    text = simplified(halfwidth(value or "")).replace("•", "·").replace("．", "·")
    return nospace(text)


@cache
def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text))


def pinyin(value: str | None) -> str:
    """The toneless pinyin of a name (汪 and 王 both give ``wang``): catches sound-alike typos."""
    name = person_name(value)
    return _pinyin(name) if name else ""


def surname(value: str | None) -> str:
    """The family name: a compound surname (欧阳, 司马…) when the name starts with one, else the first
    character."""
    name = person_name(value)
    if not name:
        return ""
    if "·" in name:  # minority names: the last part is the family name
        return name.rsplit("·", 1)[-1]
    return name[:2] if name[:2] in _compound_surnames() else name[:1]


@cache
def _compound_surnames() -> frozenset[str]:
    return frozenset(("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
                      "宇文", "司徒", "夏侯", "端木", "轩辕", "独孤", "南宫", "西门", "百里", "呼延", "澹台"))


def enterprise_name(value: str | None) -> str:
    """An enterprise name as compared: simplified, half-width, without brackets' content, punctuation or its
    legal-form suffix (杭州某某科技有限公司 and 杭州某某科技有限责任公司 compare equal)."""
    text = simplified(halfwidth(value or ""))
    text = _BRACKETS.sub("", text)
    text = _PUNCT.sub("", text)
    for form in LEGAL_FORMS:
        if text.endswith(form) and len(text) > len(form) + 1:
            return text[: -len(form)]
    return text


def legal_form(value: str | None) -> str:
    """The legal-form suffix of an enterprise name ('' when it has none)."""
    text = _PUNCT.sub("", _BRACKETS.sub("", simplified(halfwidth(value or ""))))
    for form in LEGAL_FORMS:
        if text.endswith(form):
            return form
    return ""


def phone(value: str | None) -> str | None:
    """The national significant number of a Chinese phone (mobile or fixed line), or None if it is not one."""
    import phonenumbers

    text = halfwidth(value or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(number.national_number)


def address_parts(values: Sequence[str | None]) -> list[tuple[str, str, str]]:
    """(province, city, county) for each address, parsed by cpca in one batch ('' where unknown)."""
    if not values:
        return []
    import cpca

    frame = cpca.transform([simplified(halfwidth(v or "")) for v in values])
    out = []
    for prov, city, county in zip(frame["省"], frame["市"], frame["区"], strict=True):
        out.append((prov or "", city or "", county or ""))
    return out
