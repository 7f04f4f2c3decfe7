"""The one place that decides every access. Nothing else in digigov decides who may do what.

Each action maps to a rule `(actor, target) -> bool`. A target is any object; rules read only the
attributes they name (`department_id`, `region_code`, `requester_id`). Services call `require` before
acting; pages call `can` to decide what to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from digigov.core.errors import PermissionDenied
from digigov.identity.actor import Actor

Rule = Callable[[Actor, Any], bool]

STAFF = ("officer", "data_steward", "approver", "platform_admin")
REVIEWERS = ("approver", "data_steward")


def jurisdiction_prefix(region_code: str, level: str) -> str:
    """The code prefix every region under `region_code` shares: GB/T 2260 codes nest by prefix
    (33 province, 3301 city, 330106 county)."""
    return region_code[: {"province": 2, "city": 4}.get(level, 6)]


def region_covers(outer: str, outer_level: str, inner: str) -> bool:
    """Whether a department at `outer` (province/city/county) has jurisdiction over region `inner`."""
    if not outer or not inner:
        return False
    return inner.startswith(jurisdiction_prefix(outer, outer_level))


def _any_user(actor: Actor, _t: Any) -> bool:
    return actor.user_id is not None or actor.via == "cli"


def _roles(*roles: str) -> Rule:
    return lambda actor, _t: actor.has(*roles)


def _own_department(*roles: str) -> Rule:
    def rule(actor: Actor, target: Any) -> bool:
        dept = getattr(target, "department_id", None)
        return actor.has(*roles) and dept is not None and dept == actor.department_id

    return rule


def _manage_resource(actor: Actor, target: Any) -> bool:
    return actor.has("platform_admin") or _own_department("data_steward")(actor, target)


def _authority_review(actor: Actor, target: Any) -> bool:
    return (
        actor.has(*REVIEWERS)
        and actor.is_data_authority
        and region_covers(actor.region_code, actor.region_level, getattr(target, "region_code", ""))
    )


def _own_request(actor: Actor, target: Any) -> bool:
    return actor.user_id is not None and getattr(target, "requester_id", None) == actor.user_id


def _own_token(actor: Actor, target: Any) -> bool:
    return actor.has("platform_admin") or (
        actor.user_id is not None and getattr(target, "user_id", None) == actor.user_id
    )


def _own_or_covering_authority(*roles: str) -> Rule:
    own = _own_department(*roles)

    def rule(actor: Actor, target: Any) -> bool:
        return own(actor, target) or actor.has("platform_admin") or _authority_review(actor, target)

    return rule


def _data_authority_steward(actor: Actor, _t: Any) -> bool:
    return actor.has("platform_admin") or (actor.has("data_steward") and actor.is_data_authority)


def _manage_quality_rule(actor: Actor, target: Any) -> bool:
    """Element-level rules (no dataset) are the platform's; a dataset's own rules are its steward's."""
    if getattr(target, "department_id", None) is None:
        return _data_authority_steward(actor, target)
    return _manage_resource(actor, target)


def _dispatcher(actor: Actor, target: Any) -> bool:
    """Staff of the department that runs a case type's intake and dispatch (e.g. the 12345 centre)."""
    dept = getattr(target, "owner_department_id", None)
    return actor.has("platform_admin") or (
        actor.has("officer", "approver") and dept is not None and dept == actor.department_id
    )


def _case_intake(actor: Actor, _t: Any) -> bool:
    """Staff, or a citizen through a public channel (the portal, an Open311 client with its key)."""
    return actor.has(*STAFF) or actor.via in ("citizen", "system")


def _case_handler(actor: Actor, target: Any) -> bool:
    """Officers and stewards of the department a case is assigned to."""
    return _own_department("officer", "data_steward", "approver")(actor, target)


def _case_supervisor(actor: Actor, target: Any) -> bool:
    """Supervision (督办): approvers of the dispatching department, or of any department whose region
    covers the case's region and whose kind is the dispatcher's; the platform admin."""
    if actor.has("platform_admin"):
        return True
    if not actor.has("approver"):
        return False
    if getattr(target, "owner_department_id", None) == actor.department_id:
        return True
    return actor.department_kind == getattr(target, "owner_department_kind", None) and region_covers(
        actor.region_code, actor.region_level, getattr(target, "region_code", "")
    )


def _department_staff(actor: Actor, _t: Any) -> bool:
    """Staff who act for a department (a message to another platform instance names the sender's)."""
    return actor.has(*STAFF) and actor.department_id is not None


def _provincial_market_regulation(actor: Actor, _t: Any) -> bool:
    """Staff of the provincial market-regulation bureau (浙江省市场监督管理局), or the platform admin."""
    return actor.has("platform_admin") or (actor.has(*STAFF) and actor.department_kind == "market_regulation"
                                           and actor.region_level == "province")


def _case_viewer(actor: Actor, target: Any) -> bool:
    return (
        actor.has("auditor")
        or _dispatcher(actor, target)
        or _case_handler(actor, target)
        or _case_supervisor(actor, target)
    )


def _sharing_party(actor: Actor, target: Any) -> bool:
    """A sharing request or grant: staff of the owner or the consumer department, the covering data
    authority's reviewers, the platform admin and auditors."""
    if actor.has("platform_admin", "auditor") or _authority_review(actor, target):
        return True
    depts = (getattr(target, "department_id", None), getattr(target, "consumer_department_id", None))
    return actor.has(*STAFF) and actor.department_id is not None and actor.department_id in depts


def _sharing_kpi(actor: Actor, _t: Any) -> bool:
    """All sharing calls as a KPI: the data authority's staff (within their region), the platform admin, auditors."""
    return actor.has("platform_admin", "auditor") or (actor.is_data_authority and actor.has(*STAFF))


def _discipline_covering(*roles: str) -> Rule:
    """Grassroots power supervision (基层公权力监督): staff of a discipline commission (纪委监委) with one of `roles`
    whose region covers the target's region (a town's or village's warnings belong to its county); the platform
    admin; auditors only where `roles` includes them."""

    def rule(actor: Actor, target: Any) -> bool:
        if actor.has("platform_admin") or ("auditor" in roles and actor.has("auditor")):
            return True
        if not actor.has(*roles) or actor.department_kind != "discipline":
            return False
        region = getattr(target, "region_code", None)
        return target is None or region_covers(actor.region_code, actor.region_level, region or "")

    return rule


def _reform_office(actor: Actor, _t: Any) -> bool:
    """The reform office (改革办) keeps the three lists; the platform admin may too."""
    return actor.has("platform_admin") or (
        actor.department_kind == "reform_office" and actor.has("officer", "approver"))


def _list_keeper(actor: Actor, target: Any) -> bool:
    """Staff of the department keeping a problem list in a region (`target` is that department)."""
    return actor.has("platform_admin") or (
        actor.has("officer", "approver") and target is not None and getattr(target, "id", None) == actor.department_id)


def _kind_covering(kind: str, *roles: str) -> Rule:
    """Staff with one of `roles` of a department of `kind` whose region covers the target's region (or with no
    target, any such staff); the platform admin. E.g. social-governance risk control (社会治理风险闭环管控): the
    social-governance centres (hosted by the petitions bureaus) run the risk models, the emergency-management
    bureaus record the enterprises' extra inspections."""

    def rule(actor: Actor, target: Any) -> bool:
        if actor.has("platform_admin"):
            return True
        if not actor.has(*roles) or actor.department_kind != kind:
            return False
        return target is None or region_covers(actor.region_code, actor.region_level,
                                               getattr(target, "region_code", "") or "")

    return rule


RULES: dict[str, Rule] = {
    # IRS catalogue (一体化数字资源系统)
    "catalog.search": _any_user,
    "catalog.view": _any_user,
    "catalog.manage": _manage_resource,
    "cart.submit": _roles("officer", "data_steward"),
    "request.view": _own_request,
    "request.review_owner": _own_department(*REVIEWERS),
    "request.review_authority": _authority_review,
    "request.provision": _own_department(*REVIEWERS),
    "duplicate_check.run": _roles(*STAFF),
    # standards, datasets, ingestion, quality (数据治理)
    "standards.view": _any_user,
    "dataset.view": _any_user,
    "dataset.ingest": _manage_resource,
    "dataset.classify": _manage_resource,
    "dataset.rows": _own_department(*STAFF),
    "dataset.rows_unmasked": _own_department("data_steward"),
    "dataset.derive": _data_authority_steward,
    "quality.rule.manage": _manage_quality_rule,
    "quality.issue.view": _own_or_covering_authority(*STAFF),
    "quality.issue.respond": _own_department("data_steward", "officer"),
    # closed-loop cases (工单): who may act at each step
    "case.create": _case_intake,
    "case.view": _case_viewer,
    "case.triage": _dispatcher,
    "case.handle": _case_handler,
    "case.verify": _dispatcher,
    "case.supervise": _case_supervisor,
    "case.inbox": _roles(*STAFF),
    "calendar.manage": _roles("platform_admin"),
    # early-warning rules (预警规则) and signals
    "rule.view": _roles(*STAFF, "auditor"),
    "rule.manage": _data_authority_steward,
    "rule.run": _data_authority_steward,
    "signal.view": _own_or_covering_authority(*STAFF),
    # indicators and cockpits (指标, 驾驶舱)
    "indicator.view": _any_user,
    "indicator.manage": _data_authority_steward,
    # Open311 API keys for partner systems
    "open311.keys": _roles("platform_admin"),
    # federation between regions (跨域协同): trust anchors, keys, messages to other instances
    "federation.manage": _roles("platform_admin"),
    "federation.view": _roles("platform_admin", "auditor"),
    "federation.send": _department_staff,
    # cross-province services (跨省通办): a window clerk applies for a citizen; staff follow applications
    "xps.apply": _department_staff,
    "xps.view": _roles(*STAFF, "auditor"),
    # grassroots power supervision (基层公权力大数据监督): warnings, on-site verification by the town, closure and
    # cases by the county discipline commission
    "gps.view": _discipline_covering(*STAFF, "auditor"),
    "gps.verify": _discipline_covering("officer"),
    "gps.supervise": _discipline_covering("approver"),
    # 浙江外卖在线 (food-delivery online): staff follow the verification; the provincial bureau runs it
    "fdo.view": _roles(*STAFF, "auditor"),
    "fdo.run": _provincial_market_regulation,
    # 一件事 (bundles): the data authority designs bundles for its region; citizens and window clerks apply; staff of
    # the lead department and of the departments handling its items see an application; the lead's window re-routes
    "bundles.design": lambda a, t: a.has("platform_admin") or (
        a.is_data_authority and a.has(*STAFF)
        and region_covers(a.region_code, a.region_level, getattr(t, "region_code", "") or "")),
    "bundles.apply": _case_intake,
    "bundles.view": _roles(*STAFF, "auditor"),
    "bundles.application": lambda a, t: a.has("platform_admin", "auditor") or (
        a.has(*STAFF) and a.department_id is not None and a.department_id in getattr(t, "department_ids", ())),
    "bundles.window": lambda a, t: a.has("platform_admin") or (
        a.has(*STAFF) and a.department_id is not None and a.department_id == getattr(t, "lead_department_id", None)),
    # social-governance risk control (湖州 社会治理风险闭环管控): staff follow the task lists and the cockpit; grid
    # workers report from the field; the social-governance centres run the models; the bureaus record inspections
    "srcl.view": _roles(*STAFF, "auditor"),
    "srcl.report": _roles("officer"),
    "srcl.run": _kind_covering("petitions", "approver"),
    "srcl.inspect": _kind_covering("emergency_management", "officer", "approver"),
    # data sharing under approval (共享): request, review, read under a grant, revoke, usage
    "sharing.request": _roles("officer", "data_steward"),
    "sharing.read": _department_staff,
    "sharing.view": _sharing_party,
    "sharing.review": _own_department(*REVIEWERS),
    "sharing.review_authority": _authority_review,
    "sharing.revoke": _own_or_covering_authority(*REVIEWERS),
    "sharing.usage": _sharing_kpi,
    # entity linkage (一人一档 / 一企一档): open a file (sections as grants allow), link, confirm or split
    "entities.view": _roles(*STAFF, "auditor"),
    "entities.link": _data_authority_steward,
    "entities.decide": _data_authority_steward,
    # three lists (三张清单) and achievements: everyone reads; the reform office keeps them
    "lists.view": _any_user,
    "lists.manage": _reform_office,
    # 七张问题清单: staff follow the lists; each list's keeper reports, decomposes, accepts, evaluates and reviews
    "spl.view": _roles(*STAFF, "auditor"),
    "spl.manage": _list_keeper,
    # identity administration
    "admin.users": _roles("platform_admin"),
    "admin.departments": _roles("platform_admin"),
    "token.create": _own_token,
    "token.revoke": _own_token,
    # audit
    "audit.read": _roles("auditor"),
    "audit.verify": _roles("auditor", "platform_admin"),
}


def can(actor: Actor, action: str, target: Any = None) -> bool:
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}: add it to digigov.identity.permissions.RULES")
    return bool(rule(actor, target))


def require(actor: Actor, action: str, target: Any = None) -> None:
    if not can(actor, action, target):
        raise PermissionDenied(f"{actor.username} may not {action}", action=action)
