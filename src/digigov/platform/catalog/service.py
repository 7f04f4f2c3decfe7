"""IRS catalogue use cases (一体化数字资源系统): resources, search, cart, requests, duplicate check.

Every function takes the session and the acting `Actor` first, asks `permissions.require` before acting,
writes one audit record per state change in the caller's transaction, and never commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.settings import get_settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.identity.permissions import can, jurisdiction_prefix, require
from digigov.platform.catalog import duplicate as dup
from digigov.platform.catalog import search as searching
from digigov.platform.catalog import text as textutil
from digigov.platform.catalog import validate
from digigov.platform.catalog.model import (
    KINDS,
    STATUSES,
    SYSTEMS,
    CartItem,
    DuplicateCheck,
    RequestItem,
    Resource,
    ResourceDependency,
    ResourceRequest,
)
from digigov.platform.catalog.search import FacetValue, Hit, SearchResult

__all__ = [
    "DependencyRefused", "FacetValue", "Hit", "SearchResult", "add_dependency", "cart_add", "cart_items",
    "cart_remove", "check_duplicates", "create_resource", "decide", "dependencies", "dependents",
    "get_request", "get_resource", "inbox", "list_duplicate_checks", "my_requests", "provision",
    "provisionable", "search", "shelf_counts", "submit_cart", "suggested_budget_cut", "update_resource",
]

CODE_PREFIX = {"application": "APP", "dataset": "DAT", "component": "CMP", "cloud_resource": "CLD"}
KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}  # dependencies point down this order
NOT_REQUESTABLE = ("offline", "retired")
MAX_LIMIT = 200
UPDATABLE = frozenset({
    "name", "name_en", "description", "system", "status", "tags", "functions", "attributes",
    "requires_authority", "budget_wan", "owner_department",
})


# ---------------------------------------------------------------- validation helpers


def _department(session: Session, code_or_id: str | int) -> Department:
    if isinstance(code_or_id, bool):
        raise InvalidInput("department must be a code or an id")
    if "\x00" in str(code_or_id) or len(str(code_or_id)) > 64:
        raise NotFound(f"no department {str(code_or_id)[:64]!r}")
    return identity.get_department(session, code_or_id)


def dept_target(dept: Department) -> SimpleNamespace:
    """What the permission rules read about a department a resource would belong to."""
    return SimpleNamespace(department_id=dept.id, region_code=dept.region_code)


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise PermissionDenied("only a signed-in user has a cart and requests", action="cart")
    return actor.user_id


# ---------------------------------------------------------------- resources


def _find_resource(session: Session, code_or_id: str | int) -> Resource:
    if isinstance(code_or_id, bool) or "\x00" in str(code_or_id) or len(str(code_or_id)) > 40:
        raise NotFound(f"no resource {str(code_or_id)[:40]!r}")
    if isinstance(code_or_id, int) or (str(code_or_id).isascii() and str(code_or_id).isdigit()):
        ident = int(code_or_id)
        resource = session.get(Resource, ident) if 0 < ident < 2**31 else None
    else:
        resource = session.scalar(select(Resource).where(Resource.code == str(code_or_id)))
    if resource is None:
        raise NotFound(f"no resource {code_or_id}")
    return resource


def _next_code(session: Session, kind: str, region_code: str) -> str:
    """e.g. APP-330100-0007: kind prefix, owner's region, the next number in that series."""
    stem = f"{CODE_PREFIX[kind]}-{region_code}-"
    codes = session.scalars(select(Resource.code).where(Resource.code.startswith(stem, autoescape=True)))
    tails = [c[len(stem):] for c in codes]
    numbers = [int(t) for t in tails if t.isascii() and t.isdigit()]
    return f"{stem}{(max(numbers) if numbers else 0) + 1:04d}"


def index_text(resource: Resource, owner_name: str) -> str:
    """The tokens the search index holds for a resource (Resource.search_text)."""
    return textutil.search_text([
        resource.name, resource.name_en, resource.code, resource.description, *resource.tags,
        *resource.functions, owner_name,
    ])


def create_resource(session: Session, actor: Actor, *, kind: str, name: str, owner_department: str | int,
                    description: str = "", name_en: str = "", system: str | None = None,
                    status: str = "online", tags: Sequence[str] = (), functions: Sequence[str] = (),
                    attributes: dict[str, Any] | None = None, requires_authority: bool | None = None,
                    budget_wan: float | None = None, code: str | None = None,
                    depends_on: Sequence[str | int] = ()) -> Resource:
    """Put a resource on its shelf. Its owner's data steward (or a platform admin) may do so."""
    kind = str(validate.choice(kind, KINDS, "kind"))
    dept = _department(session, owner_department)
    require(actor, "catalog.manage", dept_target(dept))
    if code is not None:
        code = validate.text(code, "code", max_len=40, required=True)
        if session.scalar(select(Resource.id).where(Resource.code == code)) is not None:
            raise Conflict(f"resource {code} exists", key="resource_exists", code=code)
    if attributes is not None and not isinstance(attributes, dict):
        raise InvalidInput("attributes must be an object", field="attributes")
    resource = Resource(
        code=code or _next_code(session, kind, dept.region_code),
        kind=kind,
        name=validate.text(name, "name", max_len=200, required=True),
        name_en=validate.text(name_en, "name_en", max_len=200),
        description=validate.text(description, "description", max_len=20_000),
        owner_department_id=dept.id,
        region_code=dept.region_code,
        tier=dept.tier,
        system=validate.choice(system, SYSTEMS, "system", optional=True),
        status=str(validate.choice(status, STATUSES, "status")),
        tags=validate.texts(tags, "tags", max_len=64),
        functions=validate.texts(functions, "functions", max_items=500),
        attributes=dict(attributes or {}),
        requires_authority=(kind in ("dataset", "cloud_resource")) if requires_authority is None
        else bool(requires_authority),
        reuse_count=0,
        budget_wan=validate.budget(budget_wan),
    )
    resource.search_text = index_text(resource, dept.name)
    session.add(resource)
    session.flush()
    audit.record(session, actor, "catalog.resource.create", "resource", resource.code,
                 detail={"kind": kind, "name": resource.name, "owner": dept.code})
    for target in depends_on:
        _link(session, actor, resource, _find_resource(session, target))
    return resource


def update_resource(session: Session, actor: Actor, code_or_id: str | int, **changes: Any) -> Resource:
    """Change a resource's description fields (not its kind or code); keeps the search index in step."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}", fields=sorted(unknown))
    resource = _find_resource(session, code_or_id)
    require(actor, "catalog.manage", resource)
    owner = resource.owner
    changed: list[str] = []
    if "owner_department" in changes:
        new_owner = _department(session, changes.pop("owner_department"))
        if new_owner.id != owner.id:
            require(actor, "catalog.manage", dept_target(new_owner))
            owner = new_owner
            resource.owner_department_id, resource.owner = owner.id, owner
            resource.region_code, resource.tier = owner.region_code, owner.tier
            changed.append("owner_department")
    cleaners: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: validate.text(v, "name", max_len=200, required=True),
        "name_en": lambda v: validate.text(v, "name_en", max_len=200),
        "description": lambda v: validate.text(v, "description", max_len=20_000),
        "system": lambda v: validate.choice(v, SYSTEMS, "system", optional=True),
        "status": lambda v: validate.choice(v, STATUSES, "status"),
        "tags": lambda v: validate.texts(v, "tags", max_len=64),
        "functions": lambda v: validate.texts(v, "functions", max_items=500),
        "attributes": lambda v: dict(v or {}),
        "requires_authority": bool,
        "budget_wan": validate.budget,
    }
    for field, value in changes.items():
        cleaned = cleaners[field](value)
        if getattr(resource, field) != cleaned:
            setattr(resource, field, cleaned)
            changed.append(field)
    if not changed:
        return resource  # nothing changed: no write, no audit record
    resource.search_text = index_text(resource, owner.name)
    session.flush()
    audit.record(session, actor, "catalog.resource.update", "resource", resource.code,
                 detail={"changed": sorted(changed), "owner": owner.code})
    return resource


def get_resource(session: Session, actor: Actor, code_or_id: str | int) -> Resource:
    require(actor, "catalog.view")
    return _find_resource(session, code_or_id)


def dependencies(session: Session, resource: Resource) -> list[Resource]:
    """What `resource` uses (application -> dataset -> component -> cloud resource)."""
    stmt = (select(Resource).join(ResourceDependency, ResourceDependency.depends_on_id == Resource.id)
            .where(ResourceDependency.resource_id == resource.id).order_by(Resource.kind, Resource.code))
    return list(session.scalars(stmt))


def dependents(session: Session, resource: Resource) -> list[Resource]:
    """What uses `resource`."""
    stmt = (select(Resource).join(ResourceDependency, ResourceDependency.resource_id == Resource.id)
            .where(ResourceDependency.depends_on_id == resource.id).order_by(Resource.kind, Resource.code))
    return list(session.scalars(stmt))


def _reaches(session: Session, start: int, goal: int) -> bool:
    """Whether `goal` is reachable from `start` along dependencies (cycle check)."""
    seen, frontier = {start}, [start]
    while frontier:
        nxt = list(session.scalars(select(ResourceDependency.depends_on_id)
                                   .where(ResourceDependency.resource_id.in_(frontier))))
        if goal in nxt:
            return True
        frontier = [n for n in nxt if n not in seen]
        seen.update(frontier)
    return False


class DependencyRefused(Conflict, InvalidInput):
    """A dependency on itself or up the kind order: well-formed input that the catalogue's content
    refuses, so HTTP 409 (as a cycle is); still an InvalidInput to callers that catch that."""


def _link(session: Session, actor: Actor, resource: Resource, target: Resource) -> None:
    if target.id == resource.id:
        raise DependencyRefused("a resource cannot depend on itself", key="depends_on_itself", code=resource.code)
    if KIND_RANK[target.kind] < KIND_RANK[resource.kind]:
        raise DependencyRefused(f"a {resource.kind} cannot depend on a {target.kind}: "
                                "dependencies run application -> dataset -> component -> cloud_resource",
                                key="dependency_direction", code=resource.code, depends_on=target.code)
    if session.get(ResourceDependency, (resource.id, target.id)) is not None:
        return
    if _reaches(session, target.id, resource.id):
        raise Conflict(f"{target.code} already depends on {resource.code}", key="dependency_cycle",
                       code=resource.code, depends_on=target.code)
    session.add(ResourceDependency(resource_id=resource.id, depends_on_id=target.id))
    target.reuse_count = Resource.reuse_count + 1  # atomic in SQL
    session.flush()
    audit.record(session, actor, "catalog.dependency.add", "resource", resource.code,
                 detail={"depends_on": target.code})


def add_dependency(session: Session, actor: Actor, resource_code_or_id: str | int,
                   depends_on_code_or_id: str | int) -> None:
    """Record that a resource uses another; counts one reuse of the used resource. Idempotent."""
    resource = _find_resource(session, resource_code_or_id)
    require(actor, "catalog.manage", resource)
    _link(session, actor, resource, _find_resource(session, depends_on_code_or_id))


# ---------------------------------------------------------------- search


def search(session: Session, actor: Actor, q: str = "", *, kind: str | None = None, system: str | None = None,
           department_id: int | None = None, tier: str | None = None, region_code: str | None = None,
           status: str | None = None, limit: int = 20, offset: int = 0) -> SearchResult:
    """Search the four shelves like a search engine: ranked hits with highlights, and facet counts."""
    require(actor, "catalog.search")
    q = validate.text(q, "q", max_len=200)
    if isinstance(limit, bool) or isinstance(offset, bool) or not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidInput(f"limit must be 1-{MAX_LIMIT} and offset at least 0")
    if department_id is not None and (isinstance(department_id, bool) or not 0 < department_id < 2**31):
        raise InvalidInput("department_id must be a positive id", field="department_id")
    if region_code is not None and region_code != "" and not re.fullmatch(r"\d{6}", region_code):
        raise InvalidInput("region_code must be six digits (GB/T 2260)", field="region_code")
    filters = searching.Filters(
        kind=validate.choice(kind, KINDS, "kind", optional=True),
        system=validate.choice(system, SYSTEMS, "system", optional=True),
        department_id=department_id,
        tier=validate.choice(tier, ("province", "city", "county"), "tier", optional=True),
        region_code=region_code or None,
        status=validate.choice(status, STATUSES, "status", optional=True),
    )
    return searching.run(session, q, filters, limit=limit, offset=offset)


def shelf_counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many resources each shelf (kind) holds, for the home page."""
    require(actor, "catalog.search")
    counts = dict(session.execute(select(Resource.kind, func.count()).group_by(Resource.kind)).all())
    return {kind: int(counts.get(kind, 0)) for kind in KINDS}


# ---------------------------------------------------------------- cart (购物车式一键申请)


def _cart_item(session: Session, user_id: int, resource_id: int) -> CartItem | None:
    stmt = select(CartItem).where(CartItem.user_id == user_id, CartItem.resource_id == resource_id)
    return session.scalar(stmt)


def cart_add(session: Session, actor: Actor, resource_code_or_id: str | int) -> CartItem:
    """Put a resource in the actor's cart. Idempotent."""
    require(actor, "cart.submit")
    user_id = _user_id(actor)
    resource = _find_resource(session, resource_code_or_id)
    if resource.status in NOT_REQUESTABLE:
        raise Conflict(f"{resource.code} is {resource.status} and cannot be requested", key="not_requestable",
                       code=resource.code)
    item = _cart_item(session, user_id, resource.id)
    if item is not None:
        return item
    item = CartItem(user_id=user_id, resource_id=resource.id, resource=resource)
    session.add(item)
    session.flush()
    audit.record(session, actor, "catalog.cart.add", "resource", resource.code)
    return item


def cart_remove(session: Session, actor: Actor, resource_code_or_id: str | int) -> None:
    require(actor, "catalog.view")
    user_id = _user_id(actor)
    resource = _find_resource(session, resource_code_or_id)
    item = _cart_item(session, user_id, resource.id)
    if item is None:
        raise NotFound(f"{resource.code} is not in the cart")
    session.delete(item)
    session.flush()
    audit.record(session, actor, "catalog.cart.remove", "resource", resource.code)


def cart_items(session: Session, actor: Actor) -> list[CartItem]:
    require(actor, "catalog.view")
    user_id = _user_id(actor)
    return list(session.scalars(select(CartItem).where(CartItem.user_id == user_id)
                                .order_by(CartItem.added_at, CartItem.id)))


def submit_cart(session: Session, actor: Actor, *, purpose: str, legal_basis: str = "") -> ResourceRequest:
    """Submit the whole cart as one request; each item routes to its owner department. Empties the cart."""
    require(actor, "cart.submit")
    user_id = _user_id(actor)
    purpose = validate.text(purpose, "purpose", max_len=2000, required=True)
    legal_basis = validate.text(legal_basis, "legal_basis", max_len=2000)
    items = cart_items(session, actor)
    if not items:
        raise Conflict("the cart is empty", key="cart_empty")
    blocked = [i.resource.code for i in items if i.resource.status in NOT_REQUESTABLE]
    if blocked:
        raise Conflict(f"no longer requestable: {', '.join(blocked)}", key="not_requestable", code=blocked)
    if actor.department_id is None:
        raise PermissionDenied("a request is made on behalf of a department", action="cart.submit")
    request = ResourceRequest(requester_id=user_id, requester_department_id=actor.department_id,
                              purpose=purpose, legal_basis=legal_basis)
    session.add(request)
    for ci in items:
        r = ci.resource
        request.items.append(RequestItem(
            resource_id=r.id, resource=r, owner_department_id=r.owner_department_id, owner=r.owner,
            region_code=r.region_code, needs_authority=r.requires_authority, state="owner_review",
        ))
    session.execute(delete(CartItem).where(CartItem.user_id == user_id))
    session.flush()
    audit.record(session, actor, "catalog.request.submit", "resource_request", request.id, purpose=purpose,
                 detail={"items": [{"item": i.id, "resource": i.resource.code, "state": i.state}
                                   for i in request.items], "legal_basis": legal_basis})
    return request


def my_requests(session: Session, actor: Actor) -> list[ResourceRequest]:
    """The actor's requests, newest first."""
    require(actor, "catalog.view")
    user_id = _user_id(actor)
    return list(session.scalars(select(ResourceRequest).where(ResourceRequest.requester_id == user_id)
                                .order_by(ResourceRequest.submitted_at.desc(), ResourceRequest.id.desc())))


def _may_review(actor: Actor, item: RequestItem) -> bool:
    """Whether the item waits for this actor's decision now."""
    if item.state == "owner_review":
        return can(actor, "request.review_owner", item)
    if item.state == "authority_review":
        return can(actor, "request.review_authority", item)
    return False


def _may_see_item(actor: Actor, item: RequestItem) -> bool:
    return (can(actor, "request.review_owner", item)
            or (item.needs_authority and can(actor, "request.review_authority", item)))


def get_request(session: Session, actor: Actor, request_id: int) -> ResourceRequest:
    """A request, for its requester or a reviewer of one of its items."""
    request = session.get(ResourceRequest, request_id) if 0 < request_id < 2**31 else None
    if request is None:
        raise NotFound(f"no request {request_id}")
    if not (can(actor, "request.view", request) or any(_may_see_item(actor, i) for i in request.items)):
        raise PermissionDenied(f"{actor.username} may not see request {request_id}", action="request.view")
    return request


def inbox(session: Session, actor: Actor) -> list[RequestItem]:
    """Items waiting for this actor's decision: owner reviews of its department, authority reviews of
    regions its data authority covers. Oldest first."""
    require(actor, "catalog.view")
    waiting: list[ColumnElement[bool]] = []
    if actor.department_id is not None:
        waiting.append((RequestItem.state == "owner_review")
                       & (RequestItem.owner_department_id == actor.department_id))
    if actor.is_data_authority and actor.region_code:
        # narrow in SQL to the regions this authority covers; `_may_review` still decides each item
        prefix = jurisdiction_prefix(actor.region_code, actor.region_level)
        waiting.append((RequestItem.state == "authority_review") & RequestItem.region_code.startswith(prefix))
    if not waiting:
        return []
    stmt = select(RequestItem).where(or_(*waiting))
    return [i for i in session.scalars(stmt.order_by(RequestItem.id)).unique() if _may_review(actor, i)]


def _find_item(session: Session, item_id: int) -> RequestItem:
    item = session.get(RequestItem, item_id) if 0 < item_id < 2**31 else None
    if item is None:
        raise NotFound(f"no request item {item_id}")
    return item


def decide(session: Session, actor: Actor, item_id: int, *, approve: bool, comment: str = "") -> RequestItem:
    """Approve or refuse an item at its current stage (owner review, then authority review if needed)."""
    item = _find_item(session, item_id)
    comment = validate.text(comment, "comment", max_len=2000)
    if item.state == "owner_review":
        require(actor, "request.review_owner", item)
    elif item.state == "authority_review":
        require(actor, "request.review_authority", item)
    else:
        raise Conflict(f"item {item_id} is {item.state}; nothing to decide", key="nothing_to_decide",
                       state=item.state)
    if not approve and not comment:
        raise InvalidInput("a refusal needs a reason in the comment", key="refusal_reason", field="comment")
    before, now = item.state, utcnow()
    if before == "owner_review":
        item.owner_reviewer, item.owner_comment, item.owner_decided_at = actor.username, comment, now
        item.state = ("authority_review" if item.needs_authority else "granted") if approve else "denied"
    else:
        item.authority_reviewer, item.authority_comment = actor.username, comment
        item.authority_decided_at = now
        item.state = "granted" if approve else "denied"
    session.flush()
    audit.record(session, actor, "catalog.item.decide", "request_item", item.id, purpose=item.request.purpose,
                 detail={"request": item.request_id, "resource": item.resource.code, "stage": before,
                         "approve": bool(approve), "from": before, "to": item.state, "comment": comment})
    return item


def provision(session: Session, actor: Actor, item_id: int, *, note: str = "") -> RequestItem:
    """Open a granted item to the requester (已开通); counts one reuse of the resource."""
    item = _find_item(session, item_id)
    require(actor, "request.provision", item)
    if item.state != "granted":
        raise Conflict(f"item {item_id} is {item.state}; only a granted item can be provisioned",
                       key="not_granted", state=item.state)
    item.state, item.provisioned_at = "provisioned", utcnow()
    item.provision_note = validate.text(note, "note", max_len=2000)
    item.resource.reuse_count = Resource.reuse_count + 1  # atomic in SQL
    session.flush()
    audit.record(session, actor, "catalog.item.provision", "request_item", item.id,
                 purpose=item.request.purpose,
                 detail={"request": item.request_id, "resource": item.resource.code, "from": "granted",
                         "to": "provisioned", "note": item.provision_note})
    return item


# ---------------------------------------------------------------- duplicate check (应用查重)


def _existing_apps(session: Session) -> list[dup.ExistingApp]:
    rows = session.execute(
        select(Resource.code, Resource.name, Department.name, Resource.description, Resource.functions)
        .join(Department, Department.id == Resource.owner_department_id)
        .where(Resource.kind == "application", Resource.status != "retired")
        .order_by(Resource.id)
    ).all()
    return [dup.ExistingApp(code, name, owner, description or "", tuple(functions or ()))
            for code, name, owner, description, functions in rows]


def check_duplicates(session: Session, actor: Actor, *, name: str, description: str = "",
                     functions: Sequence[str], proposer_department: str | int | None = None,
                     budget_wan: float | None = None, save: bool = True) -> DuplicateCheck:
    """Compare a proposed application with the catalogue's applications and give a verdict.

    Without functions, the description's sentences stand in for them.
    """
    require(actor, "duplicate_check.run")
    name = validate.text(name, "name", max_len=200, required=True)
    description = validate.text(description, "description", max_len=20_000)
    proposed = validate.texts(functions, "functions", max_items=200)
    if not proposed:
        proposed = [s for s in (p.strip() for p in re.split(r"[。；;\n]", description)) if s][:200]
    if not proposed:
        raise InvalidInput("list the proposed functions (or describe them)", key="functions_needed",
                           field="functions")
    budget = validate.budget(budget_wan)
    dept = _department(session, proposer_department) if proposer_department not in (None, "") else None
    settings = get_settings()
    thresholds = dup.Thresholds(settings.duplicate_function_match, settings.duplicate_reject,
                                settings.duplicate_reduce)
    outcome = dup.check(name, description, proposed, _existing_apps(session), thresholds)
    check = DuplicateCheck(
        name=name, description=description, functions=proposed,
        proposer_department_id=dept.id if dept else None, budget_wan=budget, verdict=outcome.verdict,
        score=outcome.score, matches=[m.as_dict() for m in outcome.matches], checked_by=actor.username,
        checked_at=utcnow(),
    )
    if save:
        session.add(check)
        session.flush()
        audit.record(session, actor, "catalog.duplicate_check", "duplicate_check", check.id,
                     detail={"name": name, "verdict": outcome.verdict, "score": outcome.score,
                             "best_coverage": outcome.best_coverage,
                             "suggested_cut_wan": outcome.suggested_cut(budget),
                             "matched": [m.code for m in outcome.matches]})
    return check


def suggested_budget_cut(check: DuplicateCheck) -> float | None:
    """The budget cut (万元) a "reduce_budget" verdict suggests: the budget times the covered share."""
    if check.verdict != "reduce_budget" or check.budget_wan is None:
        return None
    return round(check.budget_wan * check.score, 2)


def list_duplicate_checks(session: Session, actor: Actor, limit: int = 50) -> list[DuplicateCheck]:
    """The latest checks, newest first."""
    require(actor, "duplicate_check.run")
    limit = max(1, min(int(limit), MAX_LIMIT))
    return list(session.scalars(select(DuplicateCheck)
                                .order_by(DuplicateCheck.checked_at.desc(), DuplicateCheck.id.desc())
                                .limit(limit)))


def provisionable(session: Session, actor: Actor) -> list[RequestItem]:
    """Granted items of the actor's department waiting to be opened to the requester (待开通), oldest
    first: what a data steward or approver of the owner department marks provisioned."""
    require(actor, "catalog.view")
    if actor.department_id is None:
        return []
    stmt = (select(RequestItem)
            .where(RequestItem.state == "granted", RequestItem.owner_department_id == actor.department_id)
            .order_by(RequestItem.id))
    return [i for i in session.scalars(stmt).unique() if can(actor, "request.provision", i)]
