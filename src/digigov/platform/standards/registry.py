"""The standards registry: the definition sets (定义集, terms), the data elements (数据元) and the
classification and grading scheme, loaded once from the versioned YAML files in ``data/`` and checked at load.

A broken data file fails loudly on first use (``RegistryError``), never silently: every validator key must be a
known one, every normaliser step and masking rule must exist, grades and GB/T 43697 levels must be valid, every
tag value must be allowed by the scheme's dimension, every related term must resolve and no two elements may
claim the same header alias.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from digigov.core.errors import NotFound
from digigov.core.i18n import register

from .normalize import STEPS, halfwidth
from .scheme import GB_LEVELS, GRADES

register({
    "error.element_not_found": ("没有数据元“{element}”", "No data element {element}"),
    "error.term_not_found": ("没有术语“{term}”", "No term {term}"),
})

#: The validator keys a data element may name (``validators.VALIDATORS`` implements each).
VALIDATOR_KEYS: tuple[str, ...] = (
    "citizen_id", "person_name", "mobile", "landline", "address", "uscc", "bank_card", "passport",
    "plate_number", "email", "ip_address", "coordinates", "longitude", "latitude", "licence_number", "amount",
    "date", "region_code",
)
#: The four classification dimensions of DB33/T 2351, in order.
DIMENSIONS: tuple[str, ...] = ("data_management", "business_application", "security_protection", "data_object")
#: The systems a term belongs to: the platform ("1"), the five systems ("5"), theory and institutions ("2").
SYSTEMS: tuple[str, ...] = (
    "platform", "party_governance", "digital_government", "digital_economy", "digital_society", "rule_of_law",
    "theory", "institution",
)
FILES: tuple[str, ...] = ("elements.yaml", "terms.yaml", "scheme.yaml")

ElementType = Literal["string", "date", "decimal", "integer", "geo"]
Grade = Literal["L1", "L2", "L3", "L4"]
GbLevel = Literal["core", "important", "general_4", "general_3", "general_2", "general_1"]
Handling = Literal["open", "restricted", "closed"]


class RegistryError(ValueError):
    """A standards data file is malformed or inconsistent."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataElement(_Frozen):
    """A data element (数据元): a standard field with its type, checks, default grade and masking."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_en: str
    type: ElementType
    format: str
    validator: str | None
    normalizer: tuple[str, ...] = ()
    unit: str | None = None
    allowed_values: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()
    tags: dict[str, tuple[str, ...]]
    grade: Grade
    gb_level: GbLevel
    masking: str | None

    def label(self, lang: str = "zh") -> str:
        return self.name if lang == "zh" else self.name_en


class Term(_Frozen):
    """A term of the definition sets (定义集, after DB33/T 2350)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_en: str
    definition: str
    definition_en: str
    system: str
    related: tuple[str, ...] = ()


class Level(_Frozen):
    id: Grade
    name: str
    short: str
    name_en: str
    handling: Handling
    description: str
    description_en: str


class HandlingLabel(_Frozen):
    name: str
    name_en: str


class GbLevelInfo(_Frozen):
    id: GbLevel
    name: str
    name_en: str
    blocks_opening: bool


class CrosswalkRow(_Frozen):
    grade: Grade
    gb_level: GbLevel
    note: str = ""


class TagValue(_Frozen):
    zh: str
    en: str


class Attribute(_Frozen):
    id: str
    name: str
    name_en: str
    values: tuple[TagValue, ...]


class Dimension(_Frozen):
    id: str
    name: str
    name_en: str
    attributes: tuple[Attribute, ...]

    def values(self) -> tuple[str, ...]:
        """Every allowed tag value (zh) of this dimension, in order."""
        return tuple(v.zh for a in self.attributes for v in a.values)


class Scheme(_Frozen):
    """The grading scheme: Zhejiang grades, GB/T 43697 levels, the crosswalk and the classification dimensions."""

    version: str
    source: str
    levels: tuple[Level, ...]
    handling: dict[Handling, HandlingLabel]
    gb_levels: tuple[GbLevelInfo, ...]
    crosswalk: tuple[CrosswalkRow, ...]
    dimensions: tuple[Dimension, ...]

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)


@cache
def _read(name: str) -> dict[str, Any]:
    text = resources.files("digigov.platform.standards").joinpath("data", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        raise RegistryError(f"{name}: expected a mapping with a string 'version'")
    return data


def _parse(model: type[BaseModel], raw: object, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(f"{where}: {exc}") from exc


@cache
def scheme() -> Scheme:
    """The classification and grading scheme (``data/scheme.yaml``), checked."""
    return parse_scheme(_read("scheme.yaml"))


def parse_scheme(raw: dict[str, Any]) -> Scheme:
    """Validate scheme data (as read from ``scheme.yaml``); RegistryError when it is malformed."""
    parsed: Scheme = _parse(Scheme, raw, "scheme.yaml")
    if tuple(level.id for level in parsed.levels) != tuple(reversed(GRADES)):
        raise RegistryError("scheme.yaml: levels must be L4, L3, L2, L1")
    if tuple(g.id for g in parsed.gb_levels) != GB_LEVELS:
        raise RegistryError(f"scheme.yaml: gb_levels must be {GB_LEVELS}")
    if sorted(row.grade for row in parsed.crosswalk) != list(GRADES):
        raise RegistryError("scheme.yaml: the crosswalk needs exactly one row per grade")
    if tuple(d.id for d in parsed.dimensions) != DIMENSIONS:
        raise RegistryError(f"scheme.yaml: dimensions must be {DIMENSIONS}")
    for dim in parsed.dimensions:
        values = dim.values()
        if len(values) != len(set(values)):
            raise RegistryError(f"scheme.yaml: duplicate tag value in dimension {dim.id}")
    return parsed


def _check_element(el: DataElement, allowed_tags: dict[str, set[str]]) -> None:
    from .masking import RULES  # masking imports nothing from here, but keep the import graph one-way

    where = f"elements.yaml: {el.id}"
    if el.validator is not None and el.validator not in VALIDATOR_KEYS:
        raise RegistryError(f"{where}: unknown validator {el.validator!r}")
    for step in el.normalizer:
        if step not in STEPS:
            raise RegistryError(f"{where}: unknown normaliser step {step!r}")
    if el.masking is not None and el.masking not in RULES:
        raise RegistryError(f"{where}: unknown masking rule {el.masking!r}")
    for dim, values in el.tags.items():
        if dim not in allowed_tags:
            raise RegistryError(f"{where}: unknown classification dimension {dim!r}")
        for value in values:
            if value not in allowed_tags[dim]:
                raise RegistryError(f"{where}: tag {value!r} is not a value of dimension {dim}")


@cache
def elements() -> dict[str, DataElement]:
    """All data elements by id, in file order."""
    return parse_elements(_read("elements.yaml"), scheme())


def parse_elements(data: dict[str, Any], against: Scheme) -> dict[str, DataElement]:
    """Validate element data (as read from ``elements.yaml``) against a scheme; RegistryError when broken."""
    allowed_tags = {dim.id: set(dim.values()) for dim in against.dimensions}
    out: dict[str, DataElement] = {}
    for raw in data.get("elements") or []:
        el: DataElement = _parse(DataElement, raw, f"elements.yaml: {raw.get('id', '?')}")
        if el.id in out:
            raise RegistryError(f"elements.yaml: duplicate id {el.id}")
        _check_element(el, allowed_tags)
        out[el.id] = el
    _build_alias_index(out)  # fails on conflicting aliases
    return out


def element(element_id: str) -> DataElement:
    """One data element; NotFound (key ``element_not_found``) when there is none."""
    found = elements().get(element_id)
    if found is None:
        raise NotFound(f"data element {element_id!r} not found", key="element_not_found", element=element_id)
    return found


@cache
def _terms() -> tuple[Term, ...]:
    return parse_terms(_read("terms.yaml"))


def parse_terms(data: dict[str, Any]) -> tuple[Term, ...]:
    """Validate term data (as read from ``terms.yaml``); RegistryError when broken."""
    if set(data.get("systems") or {}) != set(SYSTEMS):
        raise RegistryError(f"terms.yaml: 'systems' must name exactly {SYSTEMS}")
    out: list[Term] = []
    for raw in data.get("terms") or []:
        out.append(_parse(Term, raw, f"terms.yaml: {raw.get('id', '?')}"))
    ids = [t.id for t in out]
    if len(ids) != len(set(ids)):
        raise RegistryError("terms.yaml: duplicate term id")
    known = set(ids)
    for t in out:
        if t.system not in SYSTEMS:
            raise RegistryError(f"terms.yaml: {t.id}: unknown system {t.system!r}")
        for rel in t.related:
            if rel not in known or rel == t.id:
                raise RegistryError(f"terms.yaml: {t.id}: related term {rel!r} does not resolve")
    return tuple(out)


def system_label(system: str, lang: str = "zh") -> str:
    """The Chinese or English name of a system (``digital_government`` -> 数字政府); KeyError when unknown."""
    label = _read("terms.yaml")["systems"][system]
    return str(label["name"] if lang == "zh" else label["name_en"])


def terms() -> list[Term]:
    """All terms of the definition sets, in file order."""
    return list(_terms())


def term(term_id: str) -> Term:
    """One term; NotFound (key ``term_not_found``) when there is none."""
    for t in _terms():
        if t.id == term_id:
            return t
    raise NotFound(f"term {term_id!r} not found", key="term_not_found", term=term_id)


def search_terms(q: str) -> list[Term]:
    """Terms whose Chinese or English name or definition contains ``q`` (case-insensitive, full-width folded).

    Ranked: exact name first, then name matches, then definition matches; file order within a rank. A blank
    query returns every term.
    """
    needle = halfwidth(q).strip().casefold()
    if not needle:
        return terms()
    ranked: list[tuple[int, int, Term]] = []
    for pos, t in enumerate(_terms()):
        names = (t.name.casefold(), t.name_en.casefold(), t.id)
        if needle in names:
            rank = 0
        elif any(needle in n for n in names):
            rank = 1
        elif needle in t.definition.casefold() or needle in t.definition_en.casefold():
            rank = 2
        else:
            continue
        ranked.append((rank, pos, t))
    return [t for _, _, t in sorted(ranked, key=lambda r: (r[0], r[1]))]


@cache
def versions() -> dict[str, str]:
    """The version of each data file: ``{"elements.yaml": "2026.1", ...}``."""
    return {name: str(_read(name)["version"]) for name in FILES}


_HEADER_DROP = re.compile(r"[\s_()（）\[\]【】{}<>《》\-.·:：]+")


def normalize_header(header: str) -> str:
    """A header name as the alias index keys it: half-width, lower case, without spaces, underscores,
    parentheses, brackets, dashes, dots or colons (``身份证号 (ID)`` -> ``身份证号id``)."""
    return _HEADER_DROP.sub("", halfwidth(header)).lower()


def _build_alias_index(els: dict[str, DataElement]) -> dict[str, str]:
    index: dict[str, str] = {}
    for el in els.values():
        for alias in (el.id, el.name, el.name_en, *el.aliases):
            key = normalize_header(alias)
            if not key:
                continue
            owner = index.setdefault(key, el.id)
            if owner != el.id:
                raise RegistryError(f"elements.yaml: alias {alias!r} claimed by both {owner} and {el.id}")
    return index


@cache
def alias_index() -> dict[str, str]:
    """Normalised header name -> element id, over every element's id, names and aliases."""
    return _build_alias_index(elements())


def element_for_header(header: str) -> DataElement | None:
    """The data element a column header names, or None."""
    found = alias_index().get(normalize_header(header))
    return elements()[found] if found else None
