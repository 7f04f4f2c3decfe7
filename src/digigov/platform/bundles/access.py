"""What a bundle's departments can read, gathered from the store for `merge`: the department that handles each item
in the bundle's region, the datasets linked into the person files (entity linkage sources), and, for each handling
department and dataset, whether the department owns the dataset or holds an active grant for it (with the columns
the grant serves in clear). Grants are looked up through the sharing service, so a revoked or expired grant stops
counting on the next computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.identity.model import Department
from digigov.platform.bundles.catalogue import Item, catalogue
from digigov.platform.bundles.merge import Handler, Holding, MergedForm, PersonSource, merge
from digigov.platform.entities.mentions import ELEMENTS
from digigov.platform.entities.sources import sources as entity_sources
from digigov.platform.sharing import service as sharing
from digigov.platform.warehouse.model import Dataset


def department_region(region_code: str, tier: str) -> str:
    """The region whose department handles an item of `tier` for a bundle of `region_code` (GB/T 2260 codes nest:
    a county's city is its first four digits)."""
    if tier == "province" or region_code.endswith("0000"):
        return region_code[:2] + "0000"
    if tier == "city":
        return region_code[:4] + "00"
    return region_code  # a county item in a county; in a city bundle, the city's department


def handlers(session: Session, region_code: str, items: Sequence[Item]) -> dict[str, Handler]:
    """The handling department of each item in the bundle's region (an id of None when the region has none)."""
    wanted = {it.code: f"{department_region(region_code, it.tier)}-{it.department_kind}" for it in items}
    found = {d.code: d for d in session.scalars(select(Department).where(Department.code.in_(set(wanted.values()))))}
    out = {}
    for code, dept_code in wanted.items():
        dept = found.get(dept_code)
        out[code] = Handler(code, dept.id if dept and dept.active else None, dept_code, dept.name if dept else "",
                            dept.region_code if dept else dept_code[:6])
    return out


def lead_department(session: Session, region_code: str, lead_kind: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == f"{region_code}-{lead_kind}"))


def person_sources(session: Session) -> list[PersonSource]:
    """The datasets linked into the person files, with the column of each data element."""
    srcs = entity_sources(session, "person")
    if not srcs:
        return []
    names = {ds.code: (ds.name, ds.owner.name) for ds in
             session.scalars(select(Dataset).where(Dataset.code.in_({s.dataset for s in srcs})))}
    out: dict[str, PersonSource] = {}
    for src in srcs:
        if src.dataset in out:  # the same dataset under another role (e.g. 法定代表人): the first (best) one
            continue
        columns = {ELEMENTS["person"][attr]: col for attr, col in src.columns.items() if ELEMENTS["person"].get(attr)}
        authoritative = frozenset(e for a in src.authoritative if (e := ELEMENTS["person"].get(a)))
        name, owner = names.get(src.dataset, (src.dataset, ""))
        out[src.dataset] = PersonSource(src.dataset, name, owner, {k: v for k, v in columns.items() if k and v},
                                        authoritative, src.rank)
    return list(out.values())


def holdings(session: Session, departments: Iterable[int], datasets: Iterable[str]) -> dict[tuple[int, str], Holding]:
    """For each (department, dataset): the department's own data, or its active grant's columns served in clear."""
    dept_ids = sorted({d for d in departments if d})
    codes = sorted(set(datasets))
    if not dept_ids or not codes:
        return {}
    depts = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(dept_ids)))}
    out: dict[tuple[int, str], Holding] = {}
    for ds in session.scalars(select(Dataset).where(Dataset.code.in_(codes), Dataset.current_version > 0)):
        for dept_id in dept_ids:
            dept = depts[dept_id]
            if ds.owner_department_id == dept_id:
                out[(dept_id, ds.code)] = Holding(dept_id, dept.name, ds.code, ds.name, ds.owner.name, "own", None,
                                                  frozenset(f.column for f in ds.fields))
                continue
            grant = sharing.active_grant(session, dept_id, ds.code)
            if grant is None:
                continue
            plan = sharing.compiled_for(session, grant)
            clear = frozenset(c for c in plan.columns if plan.rules[c] is None)
            out[(dept_id, ds.code)] = Holding(dept_id, dept.name, ds.code, ds.name, ds.owner.name, "grant", grant.id,
                                              clear)
    return out


def merged_form(session: Session, region_code: str, item_codes: Sequence[str], *, steps: int, trips: int,
                days: int) -> MergedForm:
    """The merged form, materials and savings of `item_codes` bundled in `region_code`, with the access the
    handling departments have now."""
    cat = catalogue()
    items = [cat.items[c] for c in item_codes]
    hs = handlers(session, region_code, items)
    sources = person_sources(session)
    datasets = {s.dataset for s in sources} | {cat.materials[u.material].dataset or "" for it in items
                                              for u in it.materials} - {""}
    held = holdings(session, [h.department_id for h in hs.values() if h.department_id], datasets)
    return merge(items, hs, sources, held, steps=steps, trips=trips, days=days)
