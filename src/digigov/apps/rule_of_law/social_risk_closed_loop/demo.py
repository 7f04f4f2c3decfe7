"""The application's demo for Huzhou: the posts (an official for every town and street, grid workers, the centres'
supervisors), the departments' files generated for the complete months before today (`generator`) and handed over
through the platform's ingestion, one run of the risk models dated as a daily run would have raised each warning,
what the towns and the centres did with the tasks since (most of the older ones closed out, some late, the latest
month's in every step; the planted wage warnings of 织里镇 unpaid, waiting for the payslip, closed on it), a few grid
reports, and one safety-code run with its inspections. Deterministic for a seed (and the month it is built in);
a store that already holds tasks is left alone."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.rule_of_law.social_risk_closed_loop import (
    gazetteer,
    generator,
    loading,
    safety_service,
    service,
)
from digigov.apps.rule_of_law.social_risk_closed_loop.case_type import HANDLER_KIND, TYPE_CODE
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclPost, SrclTask
from digigov.core import workdays
from digigov.core.clock import utcnow
from digigov.core.errors import NotFound
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.cases import supervision
from digigov.platform.cases.model import Case

Progress = Callable[[str, int, int], None]
STEP = "social_risk_closed_loop"
BEIJING = timedelta(hours=8)
TOWN_USER = ("huz_town_official", generator.PLANT_TOWN)
GRID_USER = ("huz_grid_worker", generator.PLANT_TOWN, 3)  # the first three grid cells of 织里镇
CITY_USER = "huz_centre_supervisor"
FEEDBACK = {
    "public_order": "已会同派出所开展夜间巡防，对案发点位加装视频监控，入户开展防盗防骗宣传",
    "disputes": "已组织镇村调解员逐件回访，对未化解纠纷落实包案化解责任人",
    "petitions": "已由镇领导包案接访，逐户走访信访人，诉求已依法依规答复",
    "city_operation": "已督促燃气、供水、电梯维保单位排查同类隐患，完成整改",
    "housing_safety": "已委托房屋安全鉴定，对C、D级房屋落实人员撤离和加固措施",
    "enterprise_operation": "已走访相关企业，协调用电、融资和稳岗政策，企业生产经营逐步恢复",
    "public_transport": "已约谈公交、客运企业，对涉事驾驶员停岗培训，调整排班",
    "work_safety": "已会同应急管理部门对涉事企业开展检查，责令整改高处作业和设备防护隐患",
    "wage_arrears": "已约谈施工总承包单位和建设单位，督促补发拖欠工资",
    "fire_safety": "已清理堵塞的消防通道，补齐灭火器材",
    "ecology_environment": "已会同生态环境分局现场查处，责令停止违法排放",
}
REPORTS = (  # (grid index, domain, severity, description, location, photos)
    (1, "fire_safety", "orange", "童装加工作坊一楼仓库堆放大量布料，楼梯口堵塞，楼上住人，存在“三合一”火灾隐患",
     "大河路东侧出租房3幢", ("现场1.jpg", "楼梯口.jpg")),
    (2, "housing_safety", "yellow", "老旧自建房外墙出现多处斜向裂缝，住户反映雨天渗水", "晟舍新街112号",
     ("外墙裂缝.jpg",)),
    (3, "wage_arrears", "red", "十余名务工人员聚集在工地门口，反映两个月工资未发", "吴兴大道东侧安置房工地大门",
     ("工地门口.jpg", "聚集人员.jpg")),
)


def _beijing_day(moment: datetime) -> date:
    return (moment + BEIJING).date()


def ensure_posts(session: Session, seed: int) -> int:
    """Every town's official, three grid workers per town, a supervisor per county centre and the city's (the demo
    users hold the posts of 织里镇 and the city; personas hold the others)."""
    if session.scalar(select(func.count()).select_from(SrclPost)):
        return 0
    rng = random.Random(f"{seed}:srcl-posts")
    made = 0

    def add(username: str, post: str, name: str, county: str, town: str = "", grid: str = "") -> None:
        nonlocal made
        session.add(SrclPost(username=username, post=post, name=name, phone=f"13{rng.randint(0, 10**9 - 1):09d}",
                             county_code=county, town_code=town, grid_code=grid))
        made += 1

    def person() -> str:
        return rng.choice(generator.SURNAMES) + "".join(rng.choice(generator.GIVEN) for _ in range(2))

    def held(username: str) -> str:
        try:
            return identity.get_user(session, username).display_name
        except NotFound:
            return ""

    for t in gazetteer.towns().values():
        mine = t.code == TOWN_USER[1] and held(TOWN_USER[0])
        add(TOWN_USER[0] if mine else f"demo:srcl:{t.code}:official", "town_official", mine or person(),
            t.county_code, t.code)
        grid_user = held(GRID_USER[0]) if t.code == GRID_USER[1] else ""
        for g in gazetteer.grids(t.code)[:3]:
            add(GRID_USER[0] if grid_user else f"demo:srcl:{g.code}:grid", "grid_worker", grid_user or person(),
                t.county_code, t.code, g.code)
    for county in gazetteer.COUNTIES:
        add(f"demo:srcl:{county}:centre", "centre_supervisor", person(), county)
    city = held(CITY_USER)
    add(CITY_USER if city else "demo:srcl:330500:centre", "centre_supervisor", city or person(), gazetteer.CITY)
    session.flush()
    return made


def persona(session: Session, post: SrclPost) -> Actor:
    """The actor who holds a post: its demo user, or a persona of the county's (or the city's) centre."""
    try:
        return Actor.from_user(identity.get_user(session, post.username))
    except NotFound:
        region = post.county_code if post.county_code != gazetteer.CITY else gazetteer.CITY
        dept = identity.get_department(session, f"{region}-{HANDLER_KIND}")
        role = "approver" if post.post == "centre_supervisor" else "officer"
        return Actor(username=post.username, roles=frozenset({role}), display_name=post.name, department_id=dept.id,
                     department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                     region_level=dept.tier, via="system")


def _post(session: Session, post: str, county: str, town: str = "") -> SrclPost:
    found = session.scalar(select(SrclPost).where(SrclPost.post == post, SrclPost.county_code == county,
                                                  SrclPost.town_code == town).order_by(SrclPost.id).limit(1))
    assert found is not None, (post, county, town)
    return found


def open_at(as_of: date) -> Callable[[str], datetime]:
    """When a daily run would have raised a warning about a month: on the 16th of the month after (the payday of
    construction wages is the 15th), at 06:00 Beijing time, and not after the reference day."""
    def at(period: str) -> datetime:
        day = generator.payday(period) + timedelta(days=1)
        return datetime.combine(min(day, as_of), time(6), tzinfo=UTC) - BEIJING
    return at


def _file(name: str, text: str) -> service.Upload:
    return service.Upload(name, f"{text}\n（演示材料）".encode(), "text/plain; charset=utf-8")


def _plan(rng: random.Random, task: SrclTask, latest: str, planted: dict[str, str]) -> str:
    """What became of a task: new, accepted, responded (waiting for verification), verified, closed, closed_late."""
    site = task.subject_key.split(":")[-2] if task.indicator == service.WAGE else ""
    if site and task.period == planted.get("period"):
        return {planted.get("unpaid"): "new", planted.get("partial"): "responded",
                planted.get("late"): "payslip"}.get(site, "closed")
    if task.period == latest:
        plan = rng.choice(("new", "accepted", "accepted", "responded", "verified", "closed"))
    else:
        plan = rng.choices(("closed", "closed_late", "verified", "accepted"), weights=(78, 12, 6, 4))[0]
    return "payslip" if site and plan in ("verified", "closed", "closed_late") else plan


def history(session: Session, seed: int, as_of: date, planted: dict[str, str], now: datetime) -> dict[str, int]:
    """Carry each task as far as its plan says, with the towns' officials and the centres' supervisors."""
    latest = max((t.period for t in session.scalars(select(SrclTask))), default="")
    city = persona(session, _post(session, "centre_supervisor", gazetteer.CITY))
    done: dict[str, int] = {}
    tasks = session.execute(select(SrclTask, Case).join(Case, Case.id == SrclTask.case_id)
                            .order_by(SrclTask.raised_at, SrclTask.id)).all()
    for task, case_ in tasks:
        rng = random.Random(f"{seed}:srcl-history:{task.subject_key}")
        plan = _plan(rng, task, latest, planted)
        done[plan] = done.get(plan, 0) + 1
        if plan == "new" or not case_.is_open:
            continue
        official = persona(session, _post(session, "town_official", task.county_code, task.town_code))
        county = persona(session, _post(session, "centre_supervisor", task.county_code))
        t0 = task.raised_at
        due = task.due_at or t0 + timedelta(days=5)
        late = plan == "closed_late"
        steps = [t0 + timedelta(hours=rng.randint(2, 20))]
        answered = (due + timedelta(days=rng.randint(1, 6))) if late else \
            t0 + (due - t0) * rng.uniform(0.3, 0.9)
        steps += [answered, answered + timedelta(hours=rng.randint(3, 30))]
        steps.append(steps[-1] + timedelta(hours=rng.randint(2, 40)))
        if steps[0] > now:
            continue
        service.accept(session, official, task.id, now=steps[0])
        if plan == "accepted" or steps[1] > now:
            continue
        what = FEEDBACK.get(task.domain, "已处置")
        if plan == "payslip":
            first = task.evidence[0] if task.evidence else {}
            service.upload_payslip(session, official, task.id, voucher=_file(
                f"工资发放凭证-{first.get('evidence_key', task.id)}-{task.period}.txt",
                f"{first.get('项目名称', '')} {task.period} 农民工工资发放表（{first.get('应发人数', '')}人签字确认）"),
                amount=f"{service.owed_cents(task) / 100:.2f}", paid_on=_beijing_day(steps[1]),
                workers=int(first.get("应发人数") or 0),
                finding="经核实，总包单位工程款到账延迟致工资晚发，现已全额发放", now=steps[1])
            continue
        evidence = [_file(f"整改佐证-{case_.number}.txt", f"{task.title}：{what}")] \
            if task.severity in ("red", "orange") else []
        service.feedback(session, official, task.id, text=what, evidence=evidence, now=steps[1])
        if plan == "responded" or steps[2] > now:
            continue
        if task.indicator == service.WAGE:  # closes only on the payslip voucher
            continue
        service.verify(session, county, task.id, passed=True, note="电话回访并查看佐证材料，情况属实", now=steps[2])
        if plan == "verified" or steps[3] > now:
            continue
        service.close_out(session, city, task.id, note="核查属实，予以销号", now=steps[3])
    return done


def grid_reports(session: Session, now: datetime) -> int:
    """The grid worker of 织里镇's reports of the last days."""
    made = 0
    for n, (grid_i, domain, severity, text, where, photos) in enumerate(REPORTS):
        grid = gazetteer.grids(generator.PLANT_TOWN)[grid_i - 1]
        post = session.scalar(select(SrclPost).where(SrclPost.grid_code == grid.code, SrclPost.post == "grid_worker"))
        if post is None:
            continue
        service.report(session, persona(session, post), grid_code=grid.code, domain=domain, severity=severity,
                       description=text, location=where, photo_names=photos, now=now - timedelta(days=3 - n, hours=2))
        made += 1
    return made


def deadlines(session: Session, now: datetime) -> int:
    """The deadline monitor's look at the open tasks (as the worker's first round would): overdue ones marked and
    escalated; how many turned overdue."""
    out = supervision.ScanResult()
    cal = workdays.load_calendar(session)
    for case_ in session.scalars(select(Case).where(Case.type_code == TYPE_CODE, Case.status != "closed")
                                 .order_by(Case.id)):
        supervision.check_case(session, case_, now, out, cal)
    return out.overdue


def build(session: Session, actor: Actor, *, size: str = "small", seed: int = 2021, data_dir: Path | None = None,
          progress: Progress | None = None, as_of: date | None = None) -> dict[str, Any]:
    step = progress or (lambda *_: None)
    figures: dict[str, Any] = {"srcl_posts": ensure_posts(session, seed)}
    if data_dir is None or session.scalar(select(func.count()).select_from(SrclTask)):
        return figures
    now = utcnow()
    as_of = as_of or _beijing_day(now)
    step(STEP, 0, 5)
    made = generator.generate(Path(data_dir) / "social_risk_closed_loop", seed=seed, as_of=as_of,
                              size=size if size in generator.SIZES else "small")
    loads = loading.load(session, actor, made.files)
    loading.point_views(session)
    step(STEP, 1, 5)
    swept = service.sweep(session, actor, now=now, open_at=open_at(as_of))
    step(STEP, 2, 5)
    figures.update({"srcl_rows": sum(int(r["accepted"]) for r in loads.values()), "srcl_tasks": len(swept.opened),
                    "srcl_rule_errors": len(swept.errors)})
    figures.update({f"srcl_{k}": v for k, v in history(session, seed, as_of, made.truth["wages"], now).items()})
    step(STEP, 3, 5)
    figures["srcl_grid_reports"] = grid_reports(session, now)
    figures["srcl_overdue"] = deadlines(session, now)
    run = safety_service.run(session, actor, as_of=as_of, now=now)
    figures["srcl_safety"] = run.counts
    step(STEP, 5, 5)
    return figures
