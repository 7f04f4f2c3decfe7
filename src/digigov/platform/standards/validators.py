"""Validators of the data elements (数据元校验): one function and one prefilter pattern per element.

Each validator takes a raw cell value and returns ``None`` when it is valid, else a short reason key
("format", "checksum", "birth_date", "region", "range", "surname", "calendar"). ``PATTERNS`` holds an
RE2-compatible regular expression per element that must FULL-match a plausible value after
:func:`normalise` (trim, full-width ASCII to half-width); DuckDB runs it as a cheap vectorised
prefilter (``regexp_full_match``) before the checksum. The checksums come from python-stdnum
(``cn.ric``, ``cn.uscc``, ``luhn``) and phonenumbers; addresses are parsed with cpca.
"""

from __future__ import annotations

import csv
import datetime as dt
import ipaddress
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric, uscc

_HERE = Path(__file__).resolve().parent
SURNAMES_CSV = _HERE / "data" / "surnames.csv"
REGIONS_CSV = _HERE.parent.parent / "identity" / "data" / "zhejiang_regions.csv"

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, and their half-width twins: the same
# two strings serve DuckDB's translate() and str.maketrans().
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_TO_HALF = str.maketrans(FULL_WIDTH, HALF_WIDTH)

# CJK unified ideographs (basic block plus extension A) written as literal characters, so that the
# same class works in RE2 (DuckDB) and in Python's re.
CJK = "[㐀-䶿一-鿿]"
PROVINCE_ABBR = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# GB/T 2260 province-level prefixes (71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_CODES = frozenset(
    str(code) for code in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46)
) | frozenset(str(code) for code in (50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82))
# Bounding box of China (mainland, Hainan and the South China Sea islands included).
LNG_RANGE = (73.4, 135.1)
LAT_RANGE = (3.8, 53.6)

_PLATE_TAIL = "[A-HJ-NP-Z0-9]"
PATTERNS: dict[str, str] = {
    "citizen_id": r"[1-8]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]",
    "person_name": f"{CJK}{{2,4}}|{CJK}{{1,10}}[·•・]{CJK}{{1,10}}([·•・]{CJK}{{1,10}})?",
    "mobile": r"(\+?86[- ]?)?1[3-9]\d([- ]?\d{4}){2}",
    "landline": r"(\+?86[- ]?)?(0\d{2,3}|\(0\d{2,3}\))[- ]?[2-9]\d{6,7}([-转]\d{1,6})?",
    "address": f".*{CJK}.*(省|市|区|县|旗|镇|乡|街道|路|街|道|巷|弄|号|村|组|楼|室|幢|栋|大厦|广场|小区).*",
    "uscc": r"\d{8}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}",
    "bank_card": r"[3-69]\d{3}([ -]?\d{4}){2}[ -]?\d{4,7}",
    "passport": r"[A-Za-z]{1,2}\d{7,8}",
    "plate_number": f"[{PROVINCE_ABBR}][A-HJ-NP-Z][·• ]?{_PLATE_TAIL}{{4,5}}({_PLATE_TAIL}|[挂学警港澳])",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "ip_address": r"(\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}(:(\d{1,3}\.){3}\d{1,3})?",
    "coordinates": r"-?\d{1,3}\.\d+ ?[,，] ?-?\d{1,2}\.\d+",
    "longitude": r"-?\d{2,3}\.\d{3,}",
    "latitude": r"-?\d{1,2}\.\d{3,}",
    "licence_number": r"JY\d{14}|[A-Za-z0-9][A-Za-z0-9-]{6,28}[A-Za-z0-9]",
    "amount": r"[-+]?[¥￥]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?元?",
    "date": r"(18|19|20)\d{2}([-/.年])\d{1,2}([-/.月])\d{1,2}日?|(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])",
    "region_code": r"\d{6}",
}

_COMPILED = {key: re.compile(pattern) for key, pattern in PATTERNS.items()}


def normalise(value: str) -> str:
    """Trim the value and turn full-width ASCII characters into half-width ones."""
    return value.translate(_TO_HALF).strip()


def matches(key: str, value: str) -> bool:
    """True when the normalised value full-matches the prefilter pattern of ``key``."""
    return _COMPILED[key].fullmatch(normalise(value)) is not None


# --- citizen ID (居民身份证号码, GB 11643) -------------------------------------------------------


def _ric(value: str) -> str:
    number = normalise(value)
    if len(number) == 18 and number.isalnum():  # already compact: skip the slower clean-up
        return number.upper()
    return ric.compact(re.sub(r"[\s-]", "", number))


def citizen_id(value: str) -> str | None:
    """Format, birth date (a real day, not in the future) and ISO 7064 check digit.

    Unlike ``stdnum.cn.ric.validate`` this does not demand that the county code existed in the
    birth year: an unknown region is evidence (see :func:`citizen_id_region_known`), not a failure.
    """
    number = _ric(value)
    if not _COMPILED["citizen_id"].fullmatch(number):
        return "format"
    try:
        born = ric.get_birth_date(number)
    except Exception:  # stdnum raises InvalidComponent for an impossible day
        return "birth_date"
    if born > dt.date.today() or born.year < 1890:
        return "birth_date"
    if ric.calc_check_digit(number) != number[-1]:
        return "checksum"
    return None


@cache
def _regions() -> tuple[dict[str, str], ...]:
    with REGIONS_CSV.open(encoding="utf-8") as f:
        return tuple(csv.DictReader(line for line in f if not line.startswith("#")))


@cache
def zhejiang_region_codes() -> frozenset[str]:
    """GB/T 2260 codes of Zhejiang's province, cities and counties."""
    return frozenset(row["code"] for row in _regions())


@lru_cache(maxsize=4096)
def _national_region_known(code: str) -> bool:
    from stdnum import numdb

    results = numdb.get("cn/loc").info(code)
    return any("county" in props for _part, props in results)


def region_known(code: str) -> bool:
    """True when a 6-digit code is a known division (Zhejiang list or stdnum's national list, any year)."""
    return len(code) == 6 and code.isdigit() and (code in zhejiang_region_codes() or _national_region_known(code))


def citizen_id_region_known(value: str) -> bool:
    """True when the first six digits of a citizen ID are a known county code."""
    return region_known(_ric(value)[:6])


def citizen_id_facts(value: str) -> dict[str, str | bool | None]:
    """Evidence read from a citizen ID: birth date (ISO), gender (男/女), region code and whether it is known."""
    number = _ric(value)
    try:
        birth: str | None = ric.get_birth_date(number).isoformat()
    except Exception:
        birth = None
    gender = None
    if len(number) >= 17 and number[16].isdigit():
        gender = "男" if int(number[16]) % 2 else "女"
    return {
        "birth_date": birth,
        "gender": gender,
        "region_code": number[:6],
        "region_known": citizen_id_region_known(number),
    }


# --- names ---------------------------------------------------------------------------------------


@cache
def surname_shares() -> dict[str, float]:
    """Surname -> share of the population in percent, from ``standards/data/surnames.csv``."""
    with SURNAMES_CSV.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#") and line.strip())
        return {row["surname"].strip(): float(row["share_percent"]) for row in rows}


def surname_of(name: str) -> str | None:
    """The known surname a name starts with (compound surnames first), or None."""
    shares = surname_shares()
    if name[:2] in shares and len(name) >= 3:
        return name[:2]
    if name[:1] in shares:
        return name[:1]
    return None


def person_name(value: str) -> str | None:
    name = normalise(value)
    if len(name) > 15 or not _COMPILED["person_name"].fullmatch(name):
        return "format"
    if any(sep in name for sep in "·•・"):
        return None  # minority names are transliterations: no Han surname to check
    return None if surname_of(name) else "surname"


# --- phones --------------------------------------------------------------------------------------


_MOBILE_OK = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
_FIXED_OK = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _phone_type(national: str) -> int:
    """phonenumbers' type of a Chinese national number (digits, without the trunk prefix 0 or +86).

    The number is built directly instead of through ``phonenumbers.parse``: the pattern already fixed its
    shape, and parsing is two thirds of the cost.
    """
    return int(phonenumbers.number_type(phonenumbers.PhoneNumber(country_code=86, national_number=int(national))))


def mobile(value: str) -> str | None:
    number = normalise(value)
    if not number.isdigit():
        number = re.sub(r"[\s-]", "", number)
    if not _COMPILED["mobile"].fullmatch(number):
        return "format"
    return None if _phone_type(number[-11:]) in _MOBILE_OK else "range"


def landline(value: str) -> str | None:
    number = normalise(value)
    if not _COMPILED["landline"].fullmatch(number):
        return "format"
    number = re.split(r"(?<=\d{7})[-转]", number)[0]  # drop an extension
    digits = re.sub(r"\D", "", number.split("+86", 1)[-1])
    if number.startswith("86") and not number.startswith("0"):
        digits = digits[2:]
    return None if _phone_type(digits[1:]) in _FIXED_OK else "range"


# --- enterprises, cards, documents --------------------------------------------------------------


def uscc_code(value: str) -> str | None:
    """统一社会信用代码 (GB 32100): format and the mod-31 check character."""
    number = normalise(value)
    number = number.upper() if len(number) == 18 and number.isalnum() else uscc.compact(number)
    if not _COMPILED["uscc"].fullmatch(number):
        return "format"
    return None if uscc.calc_check_digit(number) == number[-1] else "checksum"


def bank_card(value: str) -> str | None:
    text = normalise(value)
    number = text if text.isdigit() else re.sub(r"[\s-]", "", text)
    if not 16 <= len(number) <= 19 or not number.isdigit() or not _COMPILED["bank_card"].fullmatch(text):
        return "format"
    return None if luhn.checksum(number) == 0 else "checksum"


def passport(value: str) -> str | None:
    return None if _COMPILED["passport"].fullmatch(normalise(value)) else "format"


def plate_number(value: str) -> str | None:
    return None if _COMPILED["plate_number"].fullmatch(normalise(value).upper()) else "format"


def licence_number(value: str) -> str | None:
    """Food business licence (JY + 14 digits: kind 1-3, region code, serial, check) or a generic licence code."""
    number = normalise(value).upper()
    if not _COMPILED["licence_number"].fullmatch(number):
        return "format"
    if number.startswith("JY") and number[2:].isdigit():
        if number[2] not in "123":
            return "format"
        return None if number[3:5] in PROVINCE_CODES else "region"
    if number.isdigit() or number.isalpha() or sum(c.isdigit() for c in number) < 4:
        return "format"
    return None


def email(value: str) -> str | None:
    text = normalise(value)
    if not _COMPILED["email"].fullmatch(text) or ".." in text or len(text) > 254:
        return "format"
    return None


def ip_address(value: str) -> str | None:
    text = normalise(value)
    if not _COMPILED["ip_address"].fullmatch(text):
        return "format"
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return "range"
    return None


# --- places --------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def address_parts(value: str) -> tuple[str, str, str, str]:
    """(province, city, district, adcode) found by cpca, empty strings when not found. Cached."""
    import cpca

    row = cpca.transform([normalise(value)]).iloc[0]
    return tuple("" if not isinstance(row[k], str) else row[k] for k in ("省", "市", "区", "adcode"))  # type: ignore[return-value]


@cache
def _zhejiang_names() -> re.Pattern[str]:
    names = sorted({row["name"] for row in _regions()}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


def names_zhejiang_region(text: str) -> bool:
    """True when the text names a current Zhejiang city or county (临平区, 钱塘区, 龙港市 … that cpca's
    older tables miss)."""
    return _zhejiang_names().search(text) is not None


def address(value: str) -> str | None:
    """Valid when cpca finds a province, city or county in it, or it names a current Zhejiang division."""
    text = normalise(value)
    if len(text) < 4 or not _COMPILED["address"].fullmatch(text):
        return "format"
    province, city, district, _ = address_parts(text)
    return None if (province or city or district or names_zhejiang_region(text)) else "region"


def _in(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def longitude(value: str) -> str | None:
    text = normalise(value)
    if not _COMPILED["longitude"].fullmatch(text):
        return "format"
    return None if _in(float(text), LNG_RANGE) else "range"


def latitude(value: str) -> str | None:
    text = normalise(value)
    if not _COMPILED["latitude"].fullmatch(text):
        return "format"
    return None if _in(float(text), LAT_RANGE) else "range"


def coordinates(value: str) -> str | None:
    """A "lng,lat" pair inside China's bounding box."""
    text = normalise(value)
    if not _COMPILED["coordinates"].fullmatch(text):
        return "format"
    lng, lat = (float(part) for part in re.split(r"[,，]", text))
    return None if _in(lng, LNG_RANGE) and _in(lat, LAT_RANGE) else "range"


def region_code(value: str) -> str | None:
    code = normalise(value)
    if not _COMPILED["region_code"].fullmatch(code):
        return "format"
    if code in zhejiang_region_codes():
        return None
    return None if code[:2] in PROVINCE_CODES else "region"


# --- numbers and dates ---------------------------------------------------------------------------


def amount(value: str) -> str | None:
    text = normalise(value)
    if not _COMPILED["amount"].fullmatch(text):
        return "format"
    try:
        number = Decimal(re.sub(r"[,¥￥元+]", "", text))
    except InvalidOperation:
        return "format"
    return None if number.is_finite() and abs(number) < Decimal("1e15") else "range"


def parse_date(value: str) -> dt.date | None:
    """The calendar date a value names (YYYY-MM-DD, YYYY/M/D, YYYY年M月D日, YYYYMMDD), or None."""
    text = normalise(value)
    if not _COMPILED["date"].fullmatch(text):
        return None
    digits = re.findall(r"\d+", text)
    if len(digits) == 1:
        digits = [text[:4], text[4:6], text[6:8]]
    try:
        return dt.date(int(digits[0]), int(digits[1]), int(digits[2]))
    except (ValueError, IndexError):
        return None


def date(value: str) -> str | None:
    if not _COMPILED["date"].fullmatch(normalise(value)):
        return "format"
    day = parse_date(value)
    if day is None:
        return "calendar"
    return None if 1870 <= day.year <= 2100 else "range"


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "citizen_id": citizen_id,
    "person_name": person_name,
    "mobile": mobile,
    "landline": landline,
    "address": address,
    "uscc": uscc_code,
    "bank_card": bank_card,
    "passport": passport,
    "plate_number": plate_number,
    "email": email,
    "ip_address": ip_address,
    "coordinates": coordinates,
    "longitude": longitude,
    "latitude": latitude,
    "licence_number": licence_number,
    "amount": amount,
    "date": date,
    "region_code": region_code,
}


def validate(key: str, value: str | None) -> str | None:
    """Run the validator of ``key``; an empty value is reported as "empty"."""
    if value is None or not value.strip():
        return "empty"
    return VALIDATORS[key](value)
