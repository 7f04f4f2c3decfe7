"""The item catalogue (政务服务事项清单) and the shipped bundles, read from data/items.yaml and data/bundles.yaml.

Domain objects only, free of I/O beyond reading the two files once: an `Item` is a single administrative item with
its handling department kind and tier, form fields bound to data elements, materials, legal time limit, steps and
trips; a `ShippedBundle` is a bundle definition the platform ships. `check()` validates the files (every element
known to the definition sets, every material defined, every subject declared), so a bad edit fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from digigov.core.errors import NotFound
from digigov.identity.regions import department_kinds
from digigov.platform.standards import registry

DATA = Path(__file__).parent / "data"
FIELD_TYPES = ("text", "textarea", "choice", "date", "number")
TIERS = ("county", "city", "province")
AUDIENCES = ("citizen", "enterprise")


@dataclass(frozen=True)
class Subject:
    code: str
    name: str
    name_en: str
    kind: str  # person (has a resident ID: data can be found), newborn, enterprise


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    label_en: str
    subject: str | None
    element: str | None
    type: str = "text"
    choices: tuple[str, ...] = ()
    required: bool = False

    @property
    def key(self) -> str:
        """What the merged form asks once: the (subject, data element) pair; the item's own field otherwise."""
        return f"{self.subject}.{self.element}" if self.subject and self.element else ""


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    name_en: str
    issued_by: str | None = None  # the item whose result this is
    dataset: str | None = None  # a dataset a department can check instead of the paper
    merged_form: bool = False  # an item's own application form: the merged form replaces it


@dataclass(frozen=True)
class MaterialUse:
    material: str
    subject: str | None
    original: bool

    @property
    def key(self) -> str:
        return f"{self.subject or ''}.{self.material}"


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    name_en: str
    department_kind: str
    tier: str
    lifecycle: str  # audience.stage, e.g. citizen.birth
    basis: str
    form_name: str
    time_limit: int  # legal time limit, working days
    trips: int
    steps: tuple[str, ...]
    result_name: str
    result_label: str
    fields: tuple[Field, ...]
    materials: tuple[MaterialUse, ...]
    external: bool = False
    partner: str = ""
    partner_en: str = ""

    def field(self, field_id: str) -> Field | None:
        return next((f for f in self.fields if f.id == field_id), None)

    @property
    def audience(self) -> str:
        return self.lifecycle.split(".")[0]


@dataclass(frozen=True)
class ShippedBundle:
    code: str
    name: str
    name_en: str
    audience: str
    lifecycle: str
    region: str
    lead_kind: str
    description: str
    items: tuple[str, ...]
    steps: tuple[str, ...]
    trips: int
    time_limit: int


@dataclass(frozen=True)
class Catalogue:
    subjects: dict[str, Subject]
    lifecycles: dict[str, dict[str, tuple[str, str]]]  # audience -> stage -> (zh, en)
    materials: dict[str, Material]
    items: dict[str, Item]
    bundles: tuple[ShippedBundle, ...]


def _load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((DATA / name).read_text(encoding="utf-8")))


def _field(raw: dict[str, Any]) -> Field:
    return Field(id=str(raw["id"]), label=str(raw["label"]), label_en=str(raw.get("label_en", raw["label"])),
                 subject=raw.get("subject"), element=raw.get("element"), type=str(raw.get("type", "text")),
                 choices=tuple(str(c) for c in raw.get("choices", ())), required=bool(raw.get("required", False)))


def _item(raw: dict[str, Any]) -> Item:
    result = raw.get("result") or {}
    return Item(
        code=str(raw["code"]), name=str(raw["name"]), name_en=str(raw.get("name_en", raw["name"])),
        department_kind=str(raw["department_kind"]), tier=str(raw.get("tier", "county")),
        lifecycle=str(raw["lifecycle"]), basis=str(raw.get("basis", "")), form_name=str(raw.get("form_name", "")),
        time_limit=int(raw["time_limit"]), trips=int(raw["trips"]), steps=tuple(str(s) for s in raw["steps"]),
        result_name=str(result.get("name", raw["name"])), result_label=str(result.get("number_label", "")),
        fields=tuple(_field(f) for f in raw.get("fields", ())),
        materials=tuple(MaterialUse(str(m["material"]), m.get("subject"), bool(m.get("original", False)))
                        for m in raw.get("materials", ())),
        external=bool(raw.get("external", False)), partner=str(raw.get("partner", "")),
        partner_en=str(raw.get("partner_en", "")),
    )


@cache
def catalogue() -> Catalogue:
    items_doc, bundles_doc = _load("items.yaml"), _load("bundles.yaml")
    subjects = {code: Subject(code, str(s["name"]), str(s["name_en"]), str(s["kind"]))
                for code, s in items_doc["subjects"].items()}
    lifecycles = {aud: {stage: (str(v[0]), str(v[1])) for stage, v in stages.items()}
                  for aud, stages in items_doc["lifecycles"].items()}
    materials = {code: Material(code, str(m["name"]), str(m.get("name_en", m["name"])), m.get("issued_by"),
                                m.get("dataset"), bool(m.get("merged_form", False)))
                 for code, m in items_doc["materials"].items()}
    items = {i.code: i for i in (_item(raw) for raw in items_doc["items"])}
    bundles = tuple(ShippedBundle(
        code=str(b["code"]), name=str(b["name"]), name_en=str(b["name_en"]), audience=str(b["audience"]),
        lifecycle=str(b["lifecycle"]), region=str(b["region"]), lead_kind=str(b["lead_kind"]),
        description=" ".join(str(b.get("description", "")).split()), items=tuple(b["items"]),
        steps=tuple(b["steps"]), trips=int(b["trips"]), time_limit=int(b["time_limit"]),
    ) for b in bundles_doc["bundles"])
    return Catalogue(subjects, lifecycles, materials, items, bundles)


def items() -> dict[str, Item]:
    return catalogue().items


def item(code: str) -> Item:
    found = catalogue().items.get(code)
    if found is None:
        raise NotFound(f"no item {code!r}", key="bundle_item_unknown", item=code)
    return found


def subject(code: str | None) -> Subject | None:
    return catalogue().subjects.get(code or "")


def material(code: str) -> Material:
    return catalogue().materials[code]


def lifecycle_label(audience: str, stage: str, lang: str = "zh") -> str:
    zh, en = catalogue().lifecycles.get(audience, {}).get(stage, (stage, stage))
    return en if lang == "en" else zh


def check() -> list[str]:
    """Problems in the shipped files (empty when they are consistent)."""
    cat = catalogue()
    problems: list[str] = []
    elements = registry.elements()
    kinds = {k.kind for k in department_kinds()}
    for it in cat.items.values():
        where = f"item {it.code}"
        audience, _, stage = it.lifecycle.partition(".")
        if stage not in cat.lifecycles.get(audience, {}):
            problems.append(f"{where}: unknown life-cycle stage {it.lifecycle}")
        if it.department_kind not in kinds:
            problems.append(f"{where}: unknown department kind {it.department_kind}")
        if it.tier not in TIERS:
            problems.append(f"{where}: unknown tier {it.tier}")
        if it.time_limit < 1 or it.trips < 0 or not it.steps:
            problems.append(f"{where}: time limit, trips and steps are required")
        ids = [f.id for f in it.fields]
        if len(ids) != len(set(ids)):
            problems.append(f"{where}: duplicate field ids")
        for f in it.fields:
            if f.element is not None and f.element not in elements:
                problems.append(f"{where}.{f.id}: unknown data element {f.element}")
            if f.subject is not None and f.subject not in cat.subjects:
                problems.append(f"{where}.{f.id}: unknown subject {f.subject}")
            if f.type not in FIELD_TYPES or (f.type == "choice") != bool(f.choices):
                problems.append(f"{where}.{f.id}: bad type {f.type}")
        for m in it.materials:
            if m.material not in cat.materials:
                problems.append(f"{where}: unknown material {m.material}")
            if m.subject is not None and m.subject not in cat.subjects:
                problems.append(f"{where}: unknown material subject {m.subject}")
    for mat in cat.materials.values():
        if mat.issued_by and mat.issued_by not in cat.items:
            problems.append(f"material {mat.code}: issued by unknown item {mat.issued_by}")
    for b in cat.bundles:
        if b.audience not in AUDIENCES or b.lifecycle not in cat.lifecycles.get(b.audience, {}):
            problems.append(f"bundle {b.code}: unknown life-cycle stage {b.audience}.{b.lifecycle}")
        unknown = [c for c in b.items if c not in cat.items]
        if unknown:
            problems.append(f"bundle {b.code}: unknown items {', '.join(unknown)}")
        if b.lead_kind not in kinds:
            problems.append(f"bundle {b.code}: unknown lead department kind {b.lead_kind}")
    return problems
