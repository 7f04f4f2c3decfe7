"""JSON routes of the standards (定义集 and 数据元): terms, data elements and the grading scheme.

Read-only: the registry is versioned data shipped with the platform. Routes parse, read
`digigov.platform.standards.registry` and serialise.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from digigov.identity.http import CurrentActor
from digigov.identity.permissions import require
from digigov.platform.catalog.api import NO_CONTROL, _errors
from digigov.platform.standards import masking, registry, scheme

router = APIRouter(prefix="/api/v1/standards", tags=["standards"])

READ = _errors(401, 403, 422)
READ_ONE = _errors(401, 403, 404, 422)
RegistryId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class TermRef(BaseModel):
    id: str
    name: str
    name_en: str


class TermOut(TermRef):
    definition: str
    definition_en: str
    system: str
    system_label: str
    system_label_en: str
    related: list[str]


class TermDetailOut(TermOut):
    related_terms: list[TermRef] = Field(description="the related terms, resolved")


class ElementOut(BaseModel):
    id: str
    name: str
    name_en: str
    type: str
    format: str
    validator: str | None
    normalizer: list[str]
    unit: str | None
    allowed_values: list[str] | None
    aliases: list[str]
    tags: dict[str, list[str]] = Field(description="tag values per classification dimension")
    grade: str = Field(description="default Zhejiang grade, L1 (not sensitive) … L4 (sensitive)")
    grade_label: str
    grade_label_en: str
    gb_level: str = Field(description="GB/T 43697 level")
    gb_label: str
    gb_label_en: str
    masking: str | None = Field(description="the masking rule used when the element is served masked")
    masking_label: str | None
    masking_label_en: str | None
    masking_example: list[str] | None = Field(description="[clear, masked]")


class LevelOut(BaseModel):
    id: str
    name: str
    short: str
    name_en: str
    handling: str
    handling_label: str
    handling_label_en: str
    description: str
    description_en: str
    gb_level: str = Field(description="the GB/T 43697 level this grade corresponds to (crosswalk)")
    crosswalk_note: str


class GbLevelOut(BaseModel):
    id: str
    name: str
    name_en: str
    blocks_opening: bool


class TagValueOut(BaseModel):
    zh: str
    en: str


class AttributeOut(BaseModel):
    id: str
    name: str
    name_en: str
    values: list[TagValueOut]


class DimensionOut(BaseModel):
    id: str
    name: str
    name_en: str
    attributes: list[AttributeOut]


class SchemeOut(BaseModel):
    version: str
    source: str
    levels: list[LevelOut]
    gb_levels: list[GbLevelOut]
    dimensions: list[DimensionOut]
    versions: dict[str, str] = Field(description="the version of each standards data file")


# ---------------------------------------------------------------- serialisers


def term_out(t: registry.Term) -> TermOut:
    return TermOut(id=t.id, name=t.name, name_en=t.name_en, definition=t.definition, definition_en=t.definition_en,
                   system=t.system, system_label=registry.system_label(t.system, "zh"),
                   system_label_en=registry.system_label(t.system, "en"), related=list(t.related))


def element_out(el: registry.DataElement) -> ElementOut:
    rule = masking.RULES.get(el.masking) if el.masking else None
    return ElementOut(
        id=el.id, name=el.name, name_en=el.name_en, type=el.type, format=el.format, validator=el.validator,
        normalizer=list(el.normalizer), unit=el.unit,
        allowed_values=list(el.allowed_values) if el.allowed_values is not None else None,
        aliases=list(el.aliases), tags={k: list(v) for k, v in el.tags.items()},
        grade=el.grade, grade_label=scheme.grade_label(el.grade, "zh"),
        grade_label_en=scheme.grade_label(el.grade, "en"),
        gb_level=el.gb_level, gb_label=scheme.gb_label(el.gb_level, "zh"),
        gb_label_en=scheme.gb_label(el.gb_level, "en"),
        masking=el.masking, masking_label=rule.name if rule else None, masking_label_en=rule.name_en if rule else None,
        masking_example=list(rule.example) if rule else None,
    )


def scheme_out() -> SchemeOut:
    sch = registry.scheme()
    notes = {row.grade: row for row in sch.crosswalk}
    return SchemeOut(
        version=sch.version, source=sch.source,
        levels=[LevelOut(id=lv.id, name=lv.name, short=lv.short, name_en=lv.name_en, handling=lv.handling,
                         handling_label=sch.handling[lv.handling].name,
                         handling_label_en=sch.handling[lv.handling].name_en,
                         description=lv.description, description_en=lv.description_en,
                         gb_level=notes[lv.id].gb_level, crosswalk_note=notes[lv.id].note) for lv in sch.levels],
        gb_levels=[GbLevelOut(id=g.id, name=g.name, name_en=g.name_en, blocks_opening=g.blocks_opening)
                   for g in sch.gb_levels],
        dimensions=[DimensionOut(id=d.id, name=d.name, name_en=d.name_en,
                                 attributes=[AttributeOut(id=a.id, name=a.name, name_en=a.name_en,
                                                          values=[TagValueOut(zh=v.zh, en=v.en) for v in a.values])
                                             for a in d.attributes]) for d in sch.dimensions],
        versions=registry.versions(),
    )


# ---------------------------------------------------------------- routes


@router.get("/terms", response_model=list[TermOut], responses=READ, summary="Terms of the definition sets (定义集)")
def list_terms(
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=100, pattern=NO_CONTROL,
                            description="words in a term's name or definition (Chinese or English)")] = "",
) -> list[TermOut]:
    require(actor, "standards.view")
    return [term_out(t) for t in registry.search_terms(q)]


@router.get("/terms/{term_id}", response_model=TermDetailOut, responses=READ_ONE, summary="One term")
def get_term(actor: CurrentActor, term_id: RegistryId) -> TermDetailOut:
    require(actor, "standards.view")
    t = registry.term(term_id)
    related = [registry.term(r) for r in t.related]
    return TermDetailOut(**term_out(t).model_dump(),
                         related_terms=[TermRef(id=r.id, name=r.name, name_en=r.name_en) for r in related])


@router.get("/elements", response_model=list[ElementOut], responses=_errors(401, 403),
            summary="Data elements (数据元)")
def list_elements(actor: CurrentActor) -> list[ElementOut]:
    require(actor, "standards.view")
    return [element_out(el) for el in registry.elements().values()]


@router.get("/elements/{element_id}", response_model=ElementOut, responses=READ_ONE, summary="One data element")
def get_element(actor: CurrentActor, element_id: RegistryId) -> ElementOut:
    require(actor, "standards.view")
    return element_out(registry.element(element_id))


@router.get("/scheme", response_model=SchemeOut, responses=_errors(401, 403),
            summary="The classification and grading scheme, with the ZJ ↔ GB/T 43697 crosswalk")
def get_scheme(actor: CurrentActor) -> SchemeOut:
    require(actor, "standards.view")
    return scheme_out()
