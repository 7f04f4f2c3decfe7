"""The application's demo: the pilot villages' posts (town leaders, town discipline officials, liaison stations,
the counties' supervisors; the demo users hold three of them in 建德), and, when the departments' data was
loaded, the six matters' records through ingestion, entity linkage, a run of the collision rules forty days ago
and what happened to the warnings since (verified in time or late, closed, dismissed, a case filed, some still red
and overdue), and villagers' reports through 监督一点通 in each state of the loop.

It runs after the departments' data is loaded (the builder's `apps` step). Idempotent: a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.grassroots_power_supervision import complaints, generator, loading, service
from digigov.apps.party_governance.grassroots_power_supervision.model import GpsComplaint, GpsPost, GpsWarning
from digigov.core.clock import utcnow
from digigov.core.errors import NotFound
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.warehouse.model import Dataset

Progress = Callable[[str, int, int], None]
DAYS_AGO = 40  # the demo's rule run
#: The demo users and the posts they hold: (username, county, which town (index), which village (index), post).
USERS = (("jd_discipline_supervisor", "330182", None, None, "county_supervisor"),
         ("jd_town_official", "330182", 0, None, "town_discipline"),
         ("jd_liaison_officer", "330182", 0, 0, "liaison_head"))


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


def ensure_posts(session: Session, seed: int) -> int:
    """The posts of the pilot villages (a persona username for those the demo users do not hold)."""
    if session.scalar(select(func.count()).select_from(GpsPost)):
        return 0
    villages = generator.pilot_villages(seed)
    towns = {c: sorted({v.town for v in villages if v.county == c}) for c in generator.PILOT_COUNTIES}
    held = {}
    for username, county, town_i, village_i, post in USERS:
        town = towns[county][town_i] if town_i is not None else ""
        village = [v.village for v in villages if v.county == county and v.town == town][village_i] \
            if village_i is not None else ""
        held[(county, town, village, post)] = username
    made = 0
    for p in generator.make_posts(seed, villages):
        key = (p["region_code"], p["town"], p["village"], p["post"])
        username = held.get(key, "")
        name = p["name"]
        if username:
            try:
                name = identity.get_user(session, username).display_name
            except NotFound:
                username = ""
        session.add(GpsPost(region_code=p["region_code"], town=p["town"], village=p["village"], post=p["post"],
                            name=name, phone=p["phone"],
                            username=username or f"demo:{p['region_code']}:{p['post']}:{p['town']}{p['village']}"))
        made += 1
    session.flush()
    return made


def persona(session: Session, post: GpsPost) -> Actor:
    """The actor who holds a post: its demo user, or a persona of the county's discipline commission."""
    try:
        return Actor.from_user(identity.get_user(session, post.username))
    except NotFound:
        dept = identity.get_department(session, f"{post.region_code}-discipline")
        role = "approver" if post.post == "county_supervisor" else "officer"
        return Actor(username=post.username, roles=frozenset({role}), display_name=post.name, department_id=dept.id,
                     department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                     region_level=dept.tier, via="system")


def _post(session: Session, region: str, post: str, town: str = "", village: str = "") -> GpsPost:
    stmt = select(GpsPost).where(GpsPost.region_code == region, GpsPost.post == post)
    if post != "county_supervisor":
        stmt = stmt.where(GpsPost.town == town)
    if post == "liaison_head":
        stmt = stmt.where(GpsPost.village == village)
    found = session.scalar(stmt.limit(1))
    assert found is not None, (region, post, town, village)
    return found


def build(session: Session, actor: Actor, *, size: str = "small", seed: int = 2021, data_dir: Path | None = None,
          progress: Progress | None = None) -> dict[str, Any]:
    step = progress or _noop
    figures: dict[str, Any] = {"gps_posts": ensure_posts(session, seed)}
    have = session.scalar(select(func.count()).select_from(GpsWarning)) or 0
    if data_dir is not None and not have and session.scalar(select(Dataset.id).where(Dataset.code == "ps_household")):
        step("grassroots_supervision", 0, 4)
        made = generator.generate(Path(data_dir), Path(data_dir) / "grassroots_supervision", seed=seed, size=size)
        loads = loading.load(session, actor, made.files)
        step("grassroots_supervision", 1, 4)
        loading.link(session, actor)
        loading.point_views(session)
        step("grassroots_supervision", 2, 4)
        now = utcnow()
        swept = service.sweep(session, actor, now=now - timedelta(days=DAYS_AGO))
        figures.update({"gps_rows": sum(int(r["rows_in"]) for r in loads.values()),
                        "gps_warnings": len(swept.raised), "gps_rule_errors": len(swept.errors)})
        step("grassroots_supervision", 3, 4)
        figures["gps_history"] = history(session, seed, now - timedelta(days=DAYS_AGO))
        figures["gps_overdue"] = service.mark_overdue(session, now=now)
    if not session.scalar(select(func.count()).select_from(GpsComplaint)):
        figures["gps_complaints"] = demo_complaints(session, seed)
    step("grassroots_supervision", 4, 4)
    return figures


def _evidence_file(name: str) -> service.Upload:
    return service.Upload(name, f"{name} · 现场核查照片（演示）".encode(), "image/jpeg")


def history(session: Session, seed: int, t0: datetime) -> int:
    """What the towns and the counties did with the warnings since the run: by rule, in the pilot villages."""
    done = 0
    pilot = {(v.county, v.town, v.village) for v in generator.pilot_villages(seed)}
    first: dict[tuple[str, str], GpsWarning] = {}
    for w in session.scalars(select(GpsWarning).order_by(GpsWarning.id)):
        if (w.region_code, w.town, w.village) in pilot:
            first.setdefault((w.rule_code, w.region_code), w)
    jd, xs = generator.PILOT_COUNTIES
    plans = {  # (rule, county) -> (verify after days (None: not yet), close after days, dismiss reason, file a case)
        ("gps.project_cadre_interest", jd): (None, None, "", True),  # 建德: still red, overdue, filed as a case
        ("gps.project_cadre_interest", xs): (6, None, "", True),
        ("gps.relief_after_death", jd): (5, 7, "", False),
        ("gps.relief_duplicate", jd): (30, None, "", False),  # verified late: yellow
        ("gps.relief_cadre_relative", xs): (26, 33, "", False),  # late, then closed: red → yellow → cleared
        ("gps.labour_same_payee", xs): (None, None, "经核实，该人员为村聘保洁员，按月出工，用工单与考勤一致", False),
        ("gps.contract_payment_overdue", xs): (8, 10, "", False),
        ("gps.seal_unapproved", jd): (4, 6, "", False),
        ("gps.seal_unapproved", xs): (9, None, "", False),
    }
    texts = {
        "gps.project_cadre_interest": ("已责令村党组织书记作出说明，相关工程款暂停支付，工程项目重新履行招投标程序",
                                       "到村查看工程合同、招投标记录和付款凭证，与村民代表座谈"),
        "gps.relief_after_death": ("已停发并追回死亡后发放的补贴，更新救助对象名册", "核对死亡证明和追回缴款凭证"),
        "gps.relief_duplicate": ("已追回重复发放的补贴，完善发放批次核对", "核对两批次发放名册和追回凭证"),
        "gps.relief_cadre_relative": ("已补办回避和公示程序，经村民代表会议评议符合条件", "查看评议记录、公示照片"),
        "gps.contract_payment_overdue": ("承包费已全额收缴入账", "核对银行进账单和台账更新"),
        "gps.seal_unapproved": ("补办用印审批，村印章交由村监委会监管，实行用印登记", "查看用印登记簿和审批单"),
    }
    for (code, county), (verify_after, close_after, dismiss, file_case) in plans.items():
        target = first.get((code, county))
        if target is not None:
            w = target
            town_official = persona(session, _post(session, w.region_code, "town_discipline", w.town))
            supervisor = persona(session, _post(session, w.region_code, "county_supervisor"))
            if file_case:
                service.file_case(session, supervisor, w.id, note="问题线索移送审查调查", now=t0 + timedelta(days=2))
            if dismiss:
                service.dismiss(session, supervisor, w.id, reason=dismiss, now=t0 + timedelta(days=3))
            if verify_after is not None:
                rect, found = texts.get(code, ("已整改", "已现场核查"))
                service.verify(session, town_official, w.id, rectification=rect, verification=found,
                               attachment=_evidence_file(f"GPS-{w.id}-现场核查.jpg"),
                               now=t0 + timedelta(days=verify_after, hours=3))
            if close_after is not None:
                service.close(session, supervisor, w.id, note="整改到位，予以销号",
                              now=t0 + timedelta(days=close_after))
            done += 1
    return done


REPORTS = (  # (town index, village index, matter, kind, text, what the station does: None / answer / rate)
    (0, 0, "project", "complaint", "村里道路硬化工程刚完工一个月，路面就大面积开裂，施工单位是书记介绍来的，"
     "希望查一查工程质量和发包过程。", "rate"),
    (0, 0, "relief", "suggestion", "建议把每个月的救助补助发放名单在村务公开栏和村微信群同时公示，"
     "方便大家监督。", None),
    (1, 2, "asset", "complaint", "晚上经常有人开挖掘机在村东溪滩偷挖河沙，拉沙的车把村道都压坏了。", "answer"),
)


def demo_complaints(session: Session, seed: int) -> int:
    """Villagers' reports in each state: answered and rated, answered and waiting for the rating, waiting for
    the station to take it."""
    villages = generator.pilot_villages(seed)
    jd = [v for v in villages if v.county == "330182"]
    towns = sorted({v.town for v in jd})
    now = utcnow()
    made = 0
    for n, (town_i, village_i, matter, kind, text, outcome) in enumerate(REPORTS):
        village = [v for v in jd if v.town == towns[town_i]][village_i]
        at = now - timedelta(days=9 - 3 * n, hours=5)
        c = complaints.submit(session, place="|".join(village.place), matter=matter, text=text, kind=kind,
                              name="", phone="", now=at)
        made += 1
        if outcome is None:
            continue
        station = persona(session, _post(session, village.county, "liaison_head", village.town, village.village))
        complaints.take(session, station, c.id, now=at + timedelta(hours=3))
        if matter == "asset":
            complaints.progress(session, station, c.id, "已联系镇综合执法队，两天内组织夜间巡查。")
            reply = "镇综合执法队连续两晚巡查，查扣挖掘机一台；村里已在溪滩路口安装两处监控，并设置限高杆。"
        else:
            reply = "已将线索报镇纪委，工程已委托第三方检测，检测结果和整改情况将在村务公开栏公示。"
        complaints.answer(session, station, c.id, reply, now=at + timedelta(days=2))
        if outcome == "rate":
            complaints.rate(session, c.receipt, "satisfied", "处理及时", now=at + timedelta(days=3))
    return made
