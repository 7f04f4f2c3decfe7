"""Build the demo province into the store: regions, departments, users, the IRS catalogue, a few requests
in several states and a few duplicate checks.

`build` is deterministic for a seed and idempotent: a second run finds everything in place and adds or
changes nothing. It never commits; the caller (the CLI, a test) owns the transaction.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.demo import content, department_data, lists_demo, sharing_demo
from digigov.demo.people import DemoUser, seed_users
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import Department, User
from digigov.platform.bundles import demo as bundles_demo
from digigov.platform.catalog import service as catalog
from digigov.platform.catalog.model import DuplicateCheck, Resource, ResourceRequest
from digigov.platform.entities import service as entities

Progress = Callable[[str, int, int], None]

STEPS = (
    "departments",
    "users",
    "cloud_resources",
    "components",
    "datasets",
    "applications",
    "requests",
    "duplicate_checks",
    "department_data",
    "entities",
    "apps",
)


@dataclass
class BuildReport:
    scale: str
    seed: int
    created: dict[str, int] = field(default_factory=dict)  # what this run added, per kind
    counts: dict[str, int] = field(default_factory=dict)  # what the store holds afterwards, per kind
    users: list[DemoUser] = field(default_factory=list)  # the demo users, with their passwords
    verdicts: dict[str, int] = field(default_factory=dict)  # duplicate checks run by this build
    data: department_data.DataReport | None = None  # the departments' data loads (when a data directory is given)
    apps: dict[str, Any] = field(default_factory=dict)  # what the installed applications' demos made
    sharing: dict[str, int] = field(default_factory=dict)  # sharing requests by state (with the departments' data)
    entities: dict[str, int] = field(default_factory=dict)  # files linked per kind (with the departments' data)
    bundles: dict[str, int] = field(default_factory=dict)  # 一件事: bundles published, grants, applications
    elapsed: float = 0.0  # seconds

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


# ---------------------------------------------------------------- the demo requests
#
# (requester, purpose, legal basis, [(resource name, decisions)]): each decision is
# (reviewer username, approve, comment) applied in order, or ("provision", reviewer, note).


@dataclass(frozen=True)
class _Step:
    reviewer: str
    action: str  # approve / refuse / provision
    comment: str = ""


@dataclass(frozen=True)
class _DemoRequest:
    requester: str
    purpose: str
    legal_basis: str
    items: tuple[tuple[str, str, tuple[_Step, ...]], ...]  # (kind, resource name, steps)


DEMO_REQUESTS: tuple[_DemoRequest, ...] = (
    _DemoRequest(
        "hz_civil_officer",
        "低保家庭经济状况核对：核实申请人户籍、社保缴费与家庭成员信息",
        "《社会救助暂行办法》第十一条；《浙江省公共数据条例》第二十四条",
        (
            (
                "dataset",
                "杭州市人口基础信息",
                (
                    _Step("hz_police_steward", "approve", "同意，限低保审核使用"),
                    _Step("hz_bigdata_approver", "approve", "用途明确，同意共享"),
                ),
            ),
            ("dataset", "杭州市社保参保信息", ()),
            (
                "component",
                "实体解析（一人一档）",
                (
                    _Step("zj_bigdata_steward", "approve", "同意调用"),
                    _Step("zj_bigdata_steward", "provision", "已开通接口调用权限，有效期一年"),
                ),
            ),
        ),
    ),
    _DemoRequest(
        "xh_health_officer",
        "家庭医生签约对象身份核验与困难群众医疗救助对象识别",
        "《基本医疗卫生与健康促进法》第三十一条",
        (
            ("dataset", "杭州市人口基础信息", ()),
            (
                "dataset",
                "杭州市低保救助对象",
                (_Step("hz_civil_steward", "approve", "同意，仅用于医疗救助对象识别"),),
            ),
        ),
    ),
    _DemoRequest(
        "zj_market_officer",
        "危化品经营企业信用监管与证照材料识别",
        "《危险化学品安全管理条例》第六条",
        (
            (
                "dataset",
                "宁波市重大危险源监测",
                (
                    _Step(
                        "nb_emergency_steward",
                        "refuse",
                        "在线监测数据与信用监管用途无直接关联，请改为申请危化品企业名录",
                    ),
                ),
            ),
            ("component", "OCR文字识别", (_Step("zj_bigdata_steward", "approve", "同意"),)),
        ),
    ),
    _DemoRequest(
        "jh_bigdata_approver",
        "全民安心医保城市：医保基金智能审核模型训练",
        "《医疗保障基金使用监督管理条例》第二十二条",
        (
            ("dataset", "金华市医保结算明细", ()),
            (
                "cloud_resource",
                "省政务云-模型训练GPU集群",
                (
                    _Step("zj_bigdata_steward", "approve", "同意分配训练资源"),
                    _Step("zj_bigdata_approver", "approve", "同意"),
                    _Step("zj_bigdata_steward", "provision", "已分配 A100 ×2，使用期 90 天"),
                ),
            ),
        ),
    ),
)

# Left in a cart (not submitted), so the cart page has something in it.
DEMO_CART: tuple[tuple[str, str, str], ...] = (
    ("hz_civil_officer", "dataset", "养老服务机构"),
    ("hz_civil_officer", "component", "电子证照"),
)

# Who runs the saved demo duplicate checks (应用查重) of the Jinhua proposals.
CHECKER = "jh_bigdata_approver"


# ---------------------------------------------------------------- helpers


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


def _existing(session: Session) -> dict[tuple[str, str], Resource]:
    out: dict[tuple[str, str], Resource] = {}
    for r in session.scalars(select(Resource).order_by(Resource.id)):
        out.setdefault((r.kind, r.name), r)
    return out


def _actor(session: Session, username: str) -> Actor:
    return Actor.from_user(identity.get_user(session, username))


def _resource_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Resource.kind, func.count()).group_by(Resource.kind)).all()
    counts = {kind: 0 for kind in ("application", "dataset", "component", "cloud_resource")}
    counts.update({kind: int(n) for kind, n in rows})
    return counts


def _create_resources(
    session: Session,
    actor: Actor,
    step: str,
    specs: Sequence[Any],
    existing: dict[tuple[str, str], Resource],
    progress: Progress,
) -> int:
    """Create the resources of `specs` that are not there yet (by kind and name). Returns how many."""
    created = 0
    total = len(specs)
    every = max(1, total // 50)
    for i, spec in enumerate(specs, start=1):
        key = (spec.kind, spec.name)
        if key not in existing:
            depends = []
            for dep in spec.depends_on:
                target = next(
                    (
                        existing[(k, dep)]
                        for k in ("dataset", "component", "cloud_resource")
                        if (k, dep) in existing
                    ),
                    None,
                )
                if target is None:
                    raise LookupError(f"{spec.name}: dependency {dep!r} is not in the catalogue")
                depends.append(target.code)
            resource = catalog.create_resource(
                session,
                actor,
                kind=spec.kind,
                name=spec.name,
                owner_department=spec.owner,
                description=spec.description,
                name_en=spec.name_en,
                system=getattr(spec, "system", None),
                status=getattr(spec, "status", "online"),
                tags=spec.tags,
                functions=getattr(spec, "functions", ()),
                attributes=spec.attributes,
                budget_wan=getattr(spec, "budget_wan", None),
                depends_on=depends,
            )
            existing[key] = resource
            created += 1
        if i % every == 0 or i == total:
            progress(step, i, total)
    return created


def _requests(session: Session, existing: dict[tuple[str, str], Resource], progress: Progress) -> int:
    """The demo requests, each once (a request with the same requester and purpose counts as done)."""
    created = 0
    total = len(DEMO_REQUESTS)
    for n, demo in enumerate(DEMO_REQUESTS, start=1):
        requester = identity.get_user(session, demo.requester)
        done = session.scalar(
            select(ResourceRequest.id).where(
                ResourceRequest.requester_id == requester.id, ResourceRequest.purpose == demo.purpose
            )
        )
        if done is None:
            actor = Actor.from_user(requester)
            for kind, name, _steps in demo.items:
                catalog.cart_add(session, actor, existing[(kind, name)].code)
            request = catalog.submit_cart(session, actor, purpose=demo.purpose, legal_basis=demo.legal_basis)
            by_resource = {item.resource_id: item for item in request.items}
            for kind, name, steps in demo.items:
                item = by_resource[existing[(kind, name)].id]
                for s in steps:
                    reviewer = _actor(session, s.reviewer)
                    if s.action == "provision":
                        catalog.provision(session, reviewer, item.id, note=s.comment)
                    else:
                        catalog.decide(
                            session, reviewer, item.id, approve=s.action == "approve", comment=s.comment
                        )
            created += 1
        progress("requests", n, total)
    if created:  # a first build also leaves something in a cart
        for username, kind, name in DEMO_CART:
            catalog.cart_add(session, _actor(session, username), existing[(kind, name)].code)
    return created


def _duplicate_checks(session: Session, seed: int, progress: Progress) -> tuple[int, Counter[str]]:
    """Save the checks of the proposals named in KNOWN_PAIRS, each once (by proposal name)."""
    names = [p for p, _app, _verdict in content.KNOWN_PAIRS]
    by_name = {p.name: p for p in content.proposals(seed)}
    done = set(session.scalars(select(DuplicateCheck.name).where(DuplicateCheck.name.in_(names))))
    actor = _actor(session, CHECKER)
    verdicts: Counter[str] = Counter()
    created = 0
    for n, name in enumerate(names, start=1):
        if name not in done:
            p = by_name[name]
            check = catalog.check_duplicates(
                session,
                actor,
                name=p.name,
                description=p.description,
                functions=p.functions,
                proposer_department=p.department,
                budget_wan=p.budget_wan,
                save=True,
            )
            verdicts[check.verdict] += 1
            created += 1
        progress("duplicate_checks", n, len(names))
    return created, verdicts


# ---------------------------------------------------------------- build


def _apps(session: Session, actor: Actor, scale: str, seed: int, data_dir: Path | None,
          progress: Progress) -> dict[str, Any]:
    """The installed applications: their rules and indicators into the store, then their demo data."""
    from digigov import worker
    from digigov.apps import registry
    from digigov.platform.indicators import service as indicators

    worker.wire()
    progress("apps", 0, 1)

    def step(_name: str, done: int, total: int) -> None:  # one bar for all the applications' work
        progress("apps", min(done, total - 1), total)

    figures: dict[str, Any] = dict(registry.sync(session, actor))
    figures["platform_indicators"] = indicators.sync_platform(session, actor)
    figures.update(registry.build_demo(session, actor, scale, seed, data_dir, step))
    session.flush()
    fresh = [i for i in indicators.list_indicators(session, actor) if i.last_computed_at is None]
    for n, ind in enumerate(fresh, 1):  # computed once, so the cockpits show data at once
        indicators.compute(session, actor, ind.code)
        step("indicators", n, len(fresh) + 1)
    figures["indicators_computed"] = len(fresh)
    progress("apps", 1, 1)
    return figures


def build(
    session: Session,
    actor: Actor,
    *,
    scale: str = "medium",
    seed: int = content.DEFAULT_SEED,
    progress: Progress | None = None,
    data_dir: Path | None = None,
) -> BuildReport:
    """Build (or complete) the demo province at `scale` with `seed`. Idempotent; never commits.

    `actor` is the operator (`Actor.operator()`), a platform admin. `progress(step, done, total)` is
    called as each step goes; the step names are in STEPS. With `data_dir`, the departments' files are
    generated there and loaded into the warehouse through ingestion.
    """
    if scale not in content.SCALES:
        raise ValueError(f"scale must be one of {', '.join(content.SCALES)}; got {scale!r}")
    report_progress = progress or _noop
    started = time.perf_counter()
    report = BuildReport(scale=scale, seed=seed)

    report_progress("departments", 0, 1)
    report.created["department"] = identity.seed_regions_and_departments(session, actor)
    report_progress("departments", 1, 1)

    users_before = int(session.scalar(select(func.count()).select_from(User)) or 0)
    report_progress("users", 0, 1)
    report.users = seed_users(session, actor, seed)
    report.created["user"] = int(session.scalar(select(func.count()).select_from(User)) or 0) - users_before
    report_progress("users", 1, 1)

    cat = content.catalogue(scale, seed)
    existing = _existing(session)
    for step, specs in (
        ("cloud_resources", cat.cloud_resources),
        ("components", cat.components),
        ("datasets", cat.datasets),
        ("applications", cat.applications),
    ):
        report.created[specs[0].kind if specs else step] = _create_resources(
            session, actor, step, specs, existing, report_progress
        )

    report.created["resource_request"] = _requests(session, existing, report_progress)
    created, verdicts = _duplicate_checks(session, seed, report_progress)
    report.created["duplicate_check"] = created
    report.verdicts = dict(verdicts)
    report.created.update({f"list_{k}": v for k, v in lists_demo.build(session, actor).items()})

    if data_dir is not None:
        report.data = department_data.load(session, actor, size=scale, seed=seed, directory=data_dir,
                                           progress=report_progress)
        report.sharing = sharing_demo.build(session)
        linked = entities.link(session, actor, full=True, progress=lambda _k, d, t: report_progress("entities", d, t))
        report.entities = {r.kind: r.files for r in linked}
    report.bundles = bundles_demo.build(session, actor, seed=seed)  # after the data and the person files: prefill
    report.apps = _apps(session, actor, scale, seed, data_dir, report_progress)
    report.counts = _resource_counts(session)
    report.counts["department"] = int(session.scalar(select(func.count()).select_from(Department)) or 0)
    report.counts["user"] = int(session.scalar(select(func.count()).select_from(User)) or 0)
    report.counts["resource_request"] = int(
        session.scalar(select(func.count()).select_from(ResourceRequest)) or 0
    )
    report.counts["duplicate_check"] = int(
        session.scalar(select(func.count()).select_from(DuplicateCheck)) or 0
    )
    report.elapsed = round(time.perf_counter() - started, 3)
    return report
