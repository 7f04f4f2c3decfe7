"""Staff reading applications: the list of what their department leads or handles, one application (audited), its
materials, and the items waiting on their department."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from digigov.audit.service import record
from digigov.core.errors import NotFound, PermissionDenied
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.bundles import catalogue
from digigov.platform.bundles.handling import sync
from digigov.platform.bundles.model import (
    BundleApplication,
    BundleItemRun,
    BundleMaterial,
)


def _involved(actor: Actor) -> Any:
    dept = actor.department_id or 0
    handled = select(BundleItemRun.application_id).where(BundleItemRun.department_id == dept)
    return or_(BundleApplication.lead_department_id == dept, BundleApplication.id.in_(handled))


def list_applications(session: Session, actor: Actor, *, bundle: str | None = None, status: str | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[BundleApplication], int]:
    require(actor, "bundles.view")
    stmt = select(BundleApplication)
    if not actor.has("platform_admin", "auditor"):
        stmt = stmt.where(_involved(actor))
    if bundle:
        stmt = stmt.where(BundleApplication.bundle_code == bundle)
    if status in ("in_progress", "completed"):
        stmt = stmt.where(BundleApplication.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(BundleApplication.submitted_at.desc(), BundleApplication.id.desc())
                           .limit(min(max(limit, 1), 200)).offset(max(offset, 0))).all()
    return list(rows), int(total)


def get_application(session: Session, actor: Actor, app_id: int) -> BundleApplication:
    """An application with the applicant's data, for staff of the lead department or of a department handling one
    of its items (and auditors); the read is audited."""
    app = session.get(BundleApplication, app_id) if isinstance(app_id, int) and 0 < app_id < 2**31 else None
    if app is None:
        raise NotFound(f"no application {app_id}", key="bundle_application_unknown")
    require(actor, "bundles.application", app)
    sync(session, app)
    record(session, actor, "bundles.read", "bundle_application", app.receipt,
           detail={"items": visible_items(actor, app)})
    return app


def visible_items(actor: Actor, app: BundleApplication) -> list[str]:
    """The items whose fields and materials the actor sees: all for the lead department, admins and auditors;
    a handling department sees its own items' only (data minimisation)."""
    if actor.has("platform_admin", "auditor") or actor.department_id == app.lead_department_id:
        return list(app.items)
    return [r.item_code for r in app.runs if r.department_id == actor.department_id]


def material(session: Session, actor: Actor, app_id: int, material_id: int) -> BundleMaterial:
    app = get_application(session, actor, app_id)
    found = next((m for m in app.materials if m.id == material_id), None)
    if found is None:
        raise NotFound(f"no material {material_id}", key="bundle_application_unknown")
    needed_by = {u.key: it for it in map(catalogue.item, visible_items(actor, app)) for u in it.materials}
    if found.material_key not in needed_by:
        raise PermissionDenied("this material is for another department's item", action="bundles.application")
    record(session, actor, "bundles.material.read", "bundle_application", app.receipt,
           detail={"material": found.id, "sha256": found.sha256})
    return found


def work(session: Session, actor: Actor) -> list[BundleItemRun]:
    """The bundle items waiting on the actor's department (also in its case inbox)."""
    require(actor, "case.inbox")
    return list(session.scalars(select(BundleItemRun).where(
        BundleItemRun.department_id == (actor.department_id or 0), BundleItemRun.status != "done")
        .order_by(BundleItemRun.id)))
