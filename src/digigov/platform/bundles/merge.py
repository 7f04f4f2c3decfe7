"""The merged form (一表申请), the merged materials (一套材料) and the savings of a bundle: pure functions of the
items, the departments that handle them and what those departments can read, free of I/O (`access` gathers the
inputs from the store and the warehouse).

- A field is asked once per (subject, data element) however many items ask for it; an item's field without an
  element stays its own.
- A field is prefillable when the person it is about can be found in the person files (the subject has a resident
  ID) and a department handling one of the items that ask for it owns a dataset linked into those files, or holds an
  active grant for it, with the element's column readable in clear. The sources are ordered: the dataset that is
  the authoritative source of the element first (一数一源), then by the linkage rank, own data before a grant.
- A material is asked once per (subject, material); it need not be submitted when the merged form replaces it (an
  item's own application form), when another item of the bundle issues it (it passes between the departments as an
  electronic licence), or when every department whose item needs it can check it in a dataset it owns or holds a
  grant for.
- Savings: before is the sum over the items applied for one by one; after is the bundle's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from digigov.platform.bundles.catalogue import Field, Item, catalogue

IDENTITY_ELEMENT = "citizen_id"


@dataclass(frozen=True)
class Handler:
    """The department that handles an item in the bundle's region (None id: no such department there)."""

    item: str
    department_id: int | None
    department_code: str
    department_name: str
    region_code: str


@dataclass(frozen=True)
class Holding:
    """What a department can read of a dataset: its own data, or under an active grant (the columns in clear)."""

    department_id: int
    department_name: str
    dataset: str
    dataset_name: str
    owner_name: str
    basis: str  # own | grant
    grant_id: int | None
    columns: frozenset[str]


@dataclass(frozen=True)
class PersonSource:
    """A dataset linked into the person files: the column holding each data element."""

    dataset: str
    dataset_name: str
    owner_name: str
    columns: Mapping[str, str]  # element -> column
    authoritative: frozenset[str]  # elements this dataset is the authoritative source of
    rank: int


@dataclass(frozen=True)
class Prefill:
    """Where a prefilled value comes from: a dataset's column, read by a department as its own or under a grant."""

    dataset: str
    dataset_name: str
    owner_name: str
    column: str
    department_id: int
    department_name: str
    basis: str
    grant_id: int | None
    authoritative: bool


@dataclass
class MergedField:
    key: str
    subject: str | None
    element: str | None
    label: str
    label_en: str
    type: str
    choices: tuple[str, ...]
    required: bool
    uses: list[tuple[str, Field]] = field(default_factory=list)  # (item code, the item's field)
    prefill: list[Prefill] = field(default_factory=list)

    @property
    def items(self) -> list[str]:
        return list(dict.fromkeys(code for code, _ in self.uses))

    @property
    def shared(self) -> bool:
        return len(self.items) > 1

    @property
    def identity(self) -> bool:
        """Asked once, when the applicant says who the application is about: each person's resident ID number and
        the applicant's own name (checked against their person file)."""
        return self.element == IDENTITY_ELEMENT or (self.subject == "applicant" and self.element == "person_name")

    @property
    def prefillable(self) -> bool:
        return bool(self.prefill) and not self.identity


@dataclass
class MergedMaterial:
    key: str
    code: str
    subject: str | None
    name: str
    name_en: str
    original: bool
    items: list[str] = field(default_factory=list)
    exemption: str | None = None  # merged_form | issued | data
    issued_by: str | None = None
    checked_by: dict[str, Holding] = field(default_factory=dict)  # item -> the holding its department checks with
    missing_access: list[str] = field(default_factory=list)  # items whose department cannot check the data

    @property
    def submit(self) -> bool:
        return self.exemption is None


@dataclass(frozen=True)
class Figures:
    steps: int
    materials: int
    fields: int
    trips: int
    days: int

    def as_dict(self) -> dict[str, int]:
        return {"steps": self.steps, "materials": self.materials, "fields": self.fields, "trips": self.trips,
                "days": self.days}


@dataclass
class MergedForm:
    items: list[Item]
    handlers: dict[str, Handler]
    fields: list[MergedField]
    materials: list[MergedMaterial]
    before: Figures
    after: Figures

    @property
    def saved(self) -> dict[str, int]:
        b, a = self.before.as_dict(), self.after.as_dict()
        return {k: b[k] - a[k] for k in b}

    @property
    def saved_ratio(self) -> dict[str, float]:
        b, a = self.before.as_dict(), self.after.as_dict()
        return {k: (b[k] - a[k]) / b[k] if b[k] else 0.0 for k in b}

    def field_by_key(self, key: str) -> MergedField | None:
        return next((f for f in self.fields if f.key == key), None)

    def subjects(self) -> list[str]:
        """The people the application is about that have a resident ID to give (applicant first)."""
        cat = catalogue()
        found = {f.subject for f in self.fields if f.subject and f.element == IDENTITY_ELEMENT}
        found.add("applicant")
        return [s for s in cat.subjects if s in found and cat.subjects[s].kind == "person"]

    @property
    def to_fill(self) -> list[MergedField]:
        return [f for f in self.fields if not f.prefillable]


def _element_name(element: str) -> tuple[str, str]:
    from digigov.platform.standards import registry

    el = registry.elements().get(element)
    return (el.name, el.name_en) if el is not None else (element, element)


def _shared_label(subject: str, element: str) -> tuple[str, str]:
    sub = catalogue().subjects[subject]
    zh, en = _element_name(element)
    return f"{sub.name}{zh}", f"{sub.name_en}: {en.lower()}"


def merge_fields(items: Sequence[Item]) -> list[MergedField]:
    """The merged form's fields in the order the items first ask for them: a (subject, element) pair once."""
    merged: dict[str, MergedField] = {}
    for it in items:
        for f in it.fields:
            key = f.key or f"{it.code}:{f.id}"
            mf = merged.get(key)
            if mf is None:
                mf = merged[key] = MergedField(key=key, subject=f.subject, element=f.element, label=f.label,
                                               label_en=f.label_en, type=f.type, choices=f.choices,
                                               required=f.required)
            elif mf.items and it.code not in mf.items:
                mf.required = mf.required or f.required
                if f.type == "choice" and mf.type != "choice":
                    mf.type, mf.choices = "choice", f.choices
            mf.uses.append((it.code, f))
    for mf in merged.values():
        if mf.shared and mf.subject and mf.element:
            mf.label, mf.label_en = _shared_label(mf.subject, mf.element)
    return list(merged.values())


def _prefill_sources(mf: MergedField, handlers: Mapping[str, Handler], sources: Sequence[PersonSource],
                     holdings: Mapping[tuple[int, str], Holding]) -> list[Prefill]:
    cat = catalogue()
    if not mf.subject or not mf.element or cat.subjects[mf.subject].kind != "person":
        return []
    departments = [h.department_id for code in mf.items if (h := handlers.get(code)) and h.department_id]
    found: list[tuple[tuple[int, int, int], Prefill]] = []
    for src in sources:
        column = src.columns.get(mf.element)
        if column is None:
            continue
        best: tuple[tuple[int, int, int], Prefill] | None = None
        for dept in dict.fromkeys(departments):
            holding = holdings.get((dept, src.dataset))
            if holding is None or column not in holding.columns:
                continue
            authoritative = mf.element in src.authoritative
            order = (0 if authoritative else 1, src.rank, 0 if holding.basis == "own" else 1)
            candidate = Prefill(src.dataset, src.dataset_name, src.owner_name, column, holding.department_id,
                                holding.department_name, holding.basis, holding.grant_id, authoritative)
            if best is None or order < best[0]:
                best = (order, candidate)
        if best is not None:
            found.append(best)
    return [p for _, p in sorted(found, key=lambda x: x[0])]


def merge_materials(items: Sequence[Item], handlers: Mapping[str, Handler],
                    holdings: Mapping[tuple[int, str], Holding]) -> list[MergedMaterial]:
    cat = catalogue()
    codes = {it.code for it in items}
    merged: dict[str, MergedMaterial] = {}
    for it in items:
        for use in it.materials:
            mat = cat.materials[use.material]
            mm = merged.get(use.key)
            if mm is None:
                sub = cat.subjects.get(use.subject or "")
                name = mat.name if sub is None or mat.merged_form else f"{sub.name}{mat.name}"
                name_en = mat.name_en if sub is None or mat.merged_form else f"{sub.name_en}: {mat.name_en}"
                mm = merged[use.key] = MergedMaterial(key=use.key, code=mat.code, subject=use.subject, name=name,
                                                      name_en=name_en, original=use.original)
            mm.original = mm.original or use.original
            if it.code not in mm.items:
                mm.items.append(it.code)
    for mm in merged.values():
        mat = cat.materials[mm.code]
        if mat.merged_form:
            mm.exemption = "merged_form"
        elif mat.issued_by and mat.issued_by in codes and mat.issued_by not in mm.items:
            mm.exemption, mm.issued_by = "issued", mat.issued_by
        elif mat.dataset:
            for code in mm.items:
                h = handlers.get(code)
                holding = holdings.get((h.department_id, mat.dataset)) if h and h.department_id else None
                if holding is None:
                    mm.missing_access.append(code)
                else:
                    mm.checked_by[code] = holding
            if not mm.missing_access:
                mm.exemption = "data"
    return list(merged.values())


def merge(items: Sequence[Item], handlers: Mapping[str, Handler], sources: Sequence[PersonSource],
          holdings: Mapping[tuple[int, str], Holding], *, steps: int, trips: int, days: int) -> MergedForm:
    """The bundle of `items` with the bundle's own steps, trips and time limit (working days)."""
    fields = merge_fields(items)
    for mf in fields:
        mf.prefill = _prefill_sources(mf, handlers, sources, holdings)
    materials = merge_materials(items, handlers, holdings)
    before = Figures(steps=sum(len(i.steps) for i in items), materials=sum(len(i.materials) for i in items),
                     fields=sum(len(i.fields) for i in items), trips=sum(i.trips for i in items),
                     days=sum(i.time_limit for i in items))
    after = Figures(steps=steps, materials=sum(1 for m in materials if m.submit),
                    fields=sum(1 for f in fields if not f.prefillable), trips=trips, days=days)
    return MergedForm(list(items), dict(handlers), fields, materials, before, after)
