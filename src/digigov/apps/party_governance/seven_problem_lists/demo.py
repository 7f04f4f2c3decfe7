"""Demo problems on all seven lists, in every state, driven through the real engine with the times they happened
(the last two quarters before the demo's day): some rectified on time, some late (yellow), some overdue (red), one
that recurred at its follow-up review. Idempotent."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.seven_problem_lists import service
from digigov.apps.party_governance.seven_problem_lists.model import Problem
from digigov.core.clock import utcnow
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.cases import service as cases
from digigov.platform.cases import supervision

# list, region, keeper's source, title, tasks (department kind, what to rectify), root cause, final state, late
PROBLEMS: tuple[tuple[Any, ...], ...] = (
    ("inspection", "330106", "省委第三巡视组", "部分社区集体资金资产资源管理不规范",
     (("civil_affairs", "清查社区“三资”台账，建立月度公开制度"), ("finance", "规范社区资金审批流程")),
     "institution_gap", "reviewed", False),
    ("environment", "330110", "中央第二生态环境保护督察组", "工业园区污水管网雨污混接",
     (("housing", "完成园区雨污分流改造"), ("ecology_environment", "对排污企业开展执法检查")),
     "supervision_gap", "recurred", False),
    ("audit", "330100", "杭州市审计局", "专项资金闲置未及时拨付",
     (("finance", "清理闲置资金并拨付到项目"),), "weak_execution", "evaluated", False),
    ("work_safety", "330106", "西湖区安委办", "老旧小区电动自行车违规充电",
     (("housing", "增设集中充电设施"), ("urban_management", "开展楼道违规充电专项整治")),
     "capacity", "accepted", True),
    ("petitions", "330102", "上城区信访局", "拆迁安置补偿久拖未决",
     (("housing", "制定安置补偿兑付计划"),), "legacy", "closed", True),
    ("media", "330100", "浙江之声曝光", "景区停车场违规收费",
     (("market_regulation", "查处违规收费并退还"), ("transport", "规范停车收费公示")),
     "work_style", "rectifying", True),
    ("party_building", "330106", "西湖区委组织部", "基层党组织“三会一课”落实不到位",
     (("civil_affairs", "督促社区党组织按期开展组织生活"),), "weak_execution", "rectifying", False),
    ("inspection", "330200", "省委第五巡视组", "惠民补贴发放审核把关不严",
     (("civil_affairs", "复核补贴对象并追回违规资金"),), "supervision_gap", "assigned", False),
    ("audit", "330700", "金华市审计局", "政府投资项目超概算",
     (("finance", "开展概算调整审查"), ("housing", "加强建设单位投资控制")), "institution_gap", "reviewed", False),
    ("environment", "330500", "省生态环境保护督察组", "矿山生态修复进度滞后",
     (("natural_resources", "制定修复计划并按月报告"),), "resources", "discovered", False),
    ("work_safety", "330200", "宁波市应急管理局", "危化品仓库安全距离不足",
     (("emergency_management", "督促企业整改或搬迁"),), "supervision_gap", "closed", False),
    ("petitions", "330106", "西湖区信访局", "小区物业服务纠纷反复信访",
     (("housing", "督促物业整改并建立协商机制"),), "capacity", "discovered", False),
)
STATE_ORDER = ("discovered", "assigned", "rectifying", "closed", "accepted", "evaluated", "reviewed")


def _actor(session: Session, department: str, username: str) -> Actor:
    dept = identity.get_department(session, department)
    return Actor(username=username, roles=frozenset({"officer", "approver"}), department_id=dept.id,
                 department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                 region_level=dept.tier, via="system")


def build(session: Session, actor: Actor, *, seed: int = 2021, now: dt.datetime | None = None) -> dict[str, int]:
    if session.scalar(select(func.count()).select_from(Problem)):
        return {}
    now = now or utcnow()
    rng = random.Random(f"{seed}:spl")
    made: dict[str, int] = {}
    for i, (list_code, region, source, title, tasks, cause, final, late) in enumerate(PROBLEMS):
        found = now - dt.timedelta(days=150 - i * 9 + rng.randint(0, 5))
        keeper_dept = service._keeper(session, list_code, region)
        keeper = _actor(session, keeper_dept.code, f"demo-{keeper_dept.code}")
        due = (found + dt.timedelta(days=45)).date()
        p = service.report_problem(session, keeper, list_code=list_code, title=title, region_code=region,
                                   source=source, due_on=due, now=found)
        made[final] = made.get(final, 0) + 1
        target = "rectifying" if final == "recurred" else final
        if STATE_ORDER.index(target) < 1 and final != "recurred":
            continue
        specs = [service.TaskSpec(f"{region}-{kind}", text) for kind, text in tasks]
        made_tasks = service.decompose(session, keeper, p.id, specs, root_cause=cause, now=found + dt.timedelta(days=2))
        if target == "assigned":
            continue
        when = found + dt.timedelta(days=5)
        for t in made_tasks:
            handler = _actor(session, t.department.code, f"demo-{t.department.code}")
            cases.accept(session, handler, t.case_id, now=when)
        if target == "rectifying" and final != "recurred":
            service.sync(session, p, now)
            continue
        done_at = dt.datetime.combine(due, dt.time(10), service.BEIJING) + dt.timedelta(days=12 if late else -6)
        for t in made_tasks:
            _rectify(session, keeper, _actor(session, t.department.code, f"demo-{t.department.code}"), t.case_id,
                     done_at)
        service.sync(session, p, done_at)
        if target == "closed":
            continue
        service.accept(session, keeper, p.id, passed=True, note="现场核查，整改到位",
                       now=done_at + dt.timedelta(days=3))
        if final == "recurred":
            service.review(session, keeper, p.id, recurred=True, note="回头看发现雨季仍有混接溢流",
                           now=done_at + dt.timedelta(days=40))
            continue
        if target == "accepted":
            continue
        service.evaluate(session, keeper, p.id, self_score=4.5, department_score=4.0, public_score=round(
            3.5 + rng.random(), 1), note="整改成效明显", now=done_at + dt.timedelta(days=5))
        if target == "reviewed":
            service.review(session, keeper, p.id, recurred=False, note="回头看未发现反弹",
                           now=done_at + dt.timedelta(days=40))
    supervision.scan(session, now=now)  # the deadline monitor colours what is overdue by now
    for p in session.scalars(select(Problem)):
        service.sync(session, p, now)
    return made


def _rectify(session: Session, keeper: Actor, handler: Actor, case_id: int, at: dt.datetime) -> None:
    case = cases.respond(session, handler, case_id, "已按要求完成整改，附整改报告。", now=at)
    if case.colour == "red" or case.was_red:
        cases.attach(session, handler, case_id, filename="整改报告.pdf", content=b"%PDF-1.4 demo evidence",
                     content_type="application/pdf")
    cases.verify(session, keeper, case_id, passed=True, note="核查通过", now=at + dt.timedelta(days=1))
    cases.rate(session, keeper, cases.get(session, keeper, case_id), "satisfied", now=at + dt.timedelta(days=1))
