"""Designing bundles (一件事设计): save one, compute its merged form and savings, publish, withdraw, install the shipped
ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.service import record
from digigov.core import bus
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.identity.actor import Actor
from digigov.identity.model import Region
from digigov.identity.permissions import can, require
from digigov.identity.regions import department_kinds
from digigov.platform.bundles import access, catalogue
from digigov.platform.bundles.common import CODE_PATTERN, RESERVED, clean_text
from digigov.platform.bundles.merge import MergedForm
from digigov.platform.bundles.model import BundleDefinition


def get_definition(session: Session, code: str) -> BundleDefinition:
    found = session.scalar(select(BundleDefinition).where(BundleDefinition.code == code)) if code else None
    if found is None:
        raise NotFound(f"no bundle {code!r}", key="bundle_unknown", code=str(code)[:40])
    return found


def published(session: Session, code: str) -> BundleDefinition:
    d = get_definition(session, code)
    if d.status != "published":
        raise NotFound(f"bundle {code} is not published", key="bundle_not_published", name=d.name)
    return d


def list_definitions(session: Session, *, published_only: bool = False) -> list[BundleDefinition]:
    stmt = select(BundleDefinition).order_by(BundleDefinition.audience, BundleDefinition.id)
    if published_only:
        stmt = stmt.where(BundleDefinition.status == "published")
    return list(session.scalars(stmt))


def _target(region_code: str) -> SimpleNamespace:
    return SimpleNamespace(region_code=region_code)


def save_definition(session: Session, actor: Actor, *, code: str, name: str, name_en: str = "", audience: str,
                    lifecycle: str, region_code: str, lead_kind: str, description: str = "",
                    items: Sequence[str], steps: Sequence[str], trips: int, time_limit: int,
                    now: datetime | None = None) -> BundleDefinition:
    """Create a bundle (a draft) or change one. Items must be from the catalogue, for the bundle's life cycle."""
    now = now or utcnow()
    code = (code or "").strip()
    if not CODE_PATTERN.match(code) or code in RESERVED:
        raise InvalidInput("bad code", key="bundle_code", field="code")
    require(actor, "bundles.design", _target(region_code))
    name = clean_text(name, 120)
    if not name:
        raise InvalidInput("a name is required", key="bundle_name", field="name")
    cat = catalogue.catalogue()
    if audience not in catalogue.AUDIENCES or lifecycle not in cat.lifecycles.get(audience, {}):
        raise InvalidInput("bad life-cycle stage", key="bundle_lifecycle", field="lifecycle")
    if session.get(Region, region_code) is None:
        raise InvalidInput(f"no region {region_code}", key="bundle_region", region=str(region_code)[:6])
    if lead_kind not in {k.kind for k in department_kinds()}:
        raise InvalidInput(f"bad lead kind {lead_kind}", key="bundle_lead", kind=str(lead_kind)[:40])
    chosen = list(dict.fromkeys(i for i in items if i))
    for i in chosen:
        it = catalogue.item(i)
        if it.audience != audience:
            raise InvalidInput(f"{i} is not for {audience}", key="bundle_item_audience", item=it.name,
                               audience=audience)
    if len(chosen) < 2:
        raise InvalidInput("at least two items", key="bundle_items", field="items")
    step_names = [clean_text(s, 40) for s in steps if clean_text(s, 40)]
    if not 1 <= len(step_names) <= 10 or any(len(s) > 20 for s in step_names):
        raise InvalidInput("bad steps", key="bundle_steps", field="steps")
    if not (isinstance(trips, int) and 0 <= trips <= 10 and isinstance(time_limit, int) and 1 <= time_limit <= 365):
        raise InvalidInput("bad figures", key="bundle_figures", field="time_limit")
    d = session.scalar(select(BundleDefinition).where(BundleDefinition.code == code))
    created = d is None
    if d is None:
        d = BundleDefinition(code=code, created_by=actor.username, created_at=now, status="draft", version=0)
        session.add(d)
    elif not can(actor, "bundles.design", _target(d.region_code)):
        raise PermissionDenied(f"{actor.username} may not change bundle {code}", action="bundles.design")
    d.name, d.name_en, d.audience, d.lifecycle = name, clean_text(name_en, 160), audience, lifecycle
    d.region_code, d.lead_kind, d.description = region_code, lead_kind, clean_text(description, 4000)
    d.items, d.steps, d.trips, d.time_limit, d.updated_at = chosen, step_names, trips, time_limit, now
    session.flush()
    record(session, actor, "bundles.create" if created else "bundles.update", "bundle", code,
           detail={"items": chosen, "region": region_code, "lead": lead_kind, "time_limit": time_limit,
                   "trips": trips, "steps": len(step_names)})
    return d


def merged(session: Session, d: BundleDefinition) -> MergedForm:
    """The bundle's merged form, merged materials and savings, with the access its departments have now."""
    return access.merged_form(session, d.region_code, d.items, steps=len(d.steps), trips=d.trips,
                              days=d.time_limit)


def missing_departments(session: Session, d: BundleDefinition) -> list[str]:
    """Department codes the bundle needs that its region does not have (the items' and the lead's)."""
    hs = access.handlers(session, d.region_code, [catalogue.item(c) for c in d.items])
    missing = [h.department_code for h in hs.values() if h.department_id is None]
    if access.lead_department(session, d.region_code, d.lead_kind) is None:
        missing.append(f"{d.region_code}-{d.lead_kind}")
    return missing


def publish(session: Session, actor: Actor, code: str, *, now: datetime | None = None) -> BundleDefinition:
    now = now or utcnow()
    d = get_definition(session, code)
    require(actor, "bundles.design", _target(d.region_code))
    missing = missing_departments(session, d)
    if missing:
        raise Conflict("departments missing", key="bundle_no_department", region=d.region_code,
                       departments=", ".join(missing))
    d.status, d.version, d.published_at, d.published_by, d.updated_at = "published", d.version + 1, now, \
        actor.username, now
    form = merged(session, d)
    record(session, actor, "bundles.publish", "bundle", code,
           detail={"version": d.version, "items": list(d.items), "before": form.before.as_dict(),
                   "after": form.after.as_dict()})
    bus.publish(session, "bundle.published", {"bundle": code, "version": d.version, "region_code": d.region_code})
    return d


def withdraw(session: Session, actor: Actor, code: str, *, now: datetime | None = None) -> BundleDefinition:
    d = get_definition(session, code)
    require(actor, "bundles.design", _target(d.region_code))
    d.status, d.updated_at = "withdrawn", now or utcnow()
    record(session, actor, "bundles.withdraw", "bundle", code, detail={"version": d.version})
    return d


def install_shipped(session: Session, actor: Actor, *, publish_them: bool = True) -> int:
    """The bundles the platform ships (data/bundles.yaml), saved and published; those already there are left as
    they are. Returns how many were added."""
    added = 0
    for b in catalogue.catalogue().bundles:
        if session.scalar(select(BundleDefinition.id).where(BundleDefinition.code == b.code)) is not None:
            continue
        save_definition(session, actor, code=b.code, name=b.name, name_en=b.name_en, audience=b.audience,
                        lifecycle=b.lifecycle, region_code=b.region, lead_kind=b.lead_kind,
                        description=b.description, items=b.items, steps=b.steps, trips=b.trips,
                        time_limit=b.time_limit)
        if publish_them:
            publish(session, actor, b.code)
        added += 1
    return added
