"""Warnings (预警) of grassroots power supervision as use cases: from the collision rules' signals to a warning
that stays red until its rectification is verified on site, and on to its closure (销号) or a case (立案).

- `sweep` runs the application's collision rules (one warehouse statement, through the platform's rule
  engine: runs, signals, `signal.raised`) and makes a warning of each new signal. `on_signal` does the same for
  signals raised by a scheduled run (a bus consumer of `signal.raised`), so both paths give one warning a signal.
- A signal about a subject whose earlier warning was closed or dismissed on the same evidence makes no new
  warning (the facts were handled); with new evidence it makes a new warning that names the earlier one (复发).
- `verify`: an official posted to the warning's town reports the rectification and what was found on site,
  with an attachment; in time the warning is cleared (green), after its deadline it turns yellow.
- `close` (销号, by the county's discipline commission, not the verifier), `refuse` (the verification does not
  hold: red again), `dismiss` (the data hit is explained, with the reason), `file_case` (立案, a case of type
  `gps.case` in the county discipline commission's inbox).
- Notices (SMS-style) go to the town's leaders, the village's liaison station and the village's secretary and
  director, unless the evidence names them: each is stored and published on the bus as `gps.notice`.
- `mark_overdue`: the worker's periodic job: red warnings past their deadline are marked and escalated (督办).

Every decision and every read of a warning's evidence (other departments' data) is audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import duckdb
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.grassroots_power_supervision import shipped
from digigov.apps.party_governance.grassroots_power_supervision.case_type import APP_ID, CASE, HANDLER_KIND
from digigov.apps.party_governance.grassroots_power_supervision.model import (
    GpsAttachment,
    GpsNotice,
    GpsPost,
    GpsWarning,
    GpsWarningEvent,
)
from digigov.audit.service import record
from digigov.core import bus, workdays
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.i18n import register
from digigov.core.warehouse import get_warehouse
from digigov.identity.actor import Actor
from digigov.identity.permissions import jurisdiction_prefix, require
from digigov.platform.cases import service as cases
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import Signal

SYSTEM = Actor(username="system:gps", roles=frozenset({"platform_admin"}), via="system")
MAX_TEXT = 4000
MAX_ATTACHMENT = 10 * 1024 * 1024
TOWN_POSTS = ("town_discipline", "town_leader")
POST_NAMES = {"town_leader": "乡镇党委书记", "town_discipline": "乡镇纪委书记", "liaison_head": "村监察工作联络站站长",
              "county_supervisor": "县纪委监委监督检查室"}

register({
    "error.gps_warning_not_found": ("没有这条预警", "No such warning"),
    "error.gps_wrong_status": ("预警当前为“{status}”，不能{step}", "The warning is {status}; it cannot be {step}"),
    "error.gps_not_town_official": ("只有预警所在乡镇（{town}）的乡镇干部可以现场核查",
                                    "Only an official posted to {town} may verify this warning on site"),
    "error.gps_not_station": ("只有{village}的村级监察工作联络站可以接单办理", "Only the liaison station of {village} "
                              "may take this complaint"),
    "error.gps_text_required": ("请填写“{field}”（至少 4 个字）", "{field} is required (4 characters at least)"),
    "error.gps_text_too_long": ("“{field}”过长", "{field} is too long"),
    "error.gps_attachment_required": ("请上传现场核查的佐证材料（照片或扫描件）",
                                      "Attach the on-site evidence (a photo or a scan)"),
    "error.gps_attachment_too_large": ("佐证材料不能超过 {limit} 字节", "The evidence file is over {limit} bytes"),
    "error.gps_same_person": ("核查人不能为同一预警销号", "The official who verified a warning cannot close it"),
    "error.gps_case_exists": ("该预警已立案（{number}）", "A case was already filed from this warning ({number})"),
})


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class SweepResult:
    runs: list[rules.RunResult] = field(default_factory=list)
    raised: list[int] = field(default_factory=list)  # new warnings
    suppressed: int = 0  # signals about facts already handled

    @property
    def errors(self) -> dict[str, str]:
        return {r.rule: r.error for r in self.runs if r.error}


# ---------------------------------------------------------------- signals become warnings


def app_rules(session: Session) -> list[Any]:
    """The application's enabled batch rules as stored in the platform."""
    return [r for r in rules.list_rules(session, SYSTEM, kind="sql", enabled=True, app=APP_ID)]


def sweep(session: Session, actor: Actor, *, now: datetime | None = None) -> SweepResult:
    """Run every enabled collision rule of the application on current data and make warnings of new signals."""
    require(actor, "rule.run")
    now = now or utcnow()
    out = SweepResult()
    stored = app_rules(session)
    results = rules.evaluate(session, stored)
    for rule in stored:
        run = rules.apply_result(session, actor, rule, results[rule.code], trigger="batch", now=now)
        out.runs.append(run)
        for signal_id in run.signal_ids:
            found, made = _for_signal(session, signal_id, now)
            if found is None:
                out.suppressed += 1
            elif made:
                out.raised.append(found.id)
    return out


def on_signal(session: Session, event: Any) -> None:
    """Bus consumer of `signal.raised`: a warning for a signal of this application's rules (at least once: a
    second delivery finds the warning made)."""
    payload = event.payload or {}
    if str(payload.get("rule_code", "")).startswith("gps.") and type(payload.get("signal_id")) is int:
        warning_for_signal(session, int(payload["signal_id"]))


def fingerprint(evidence: list[dict[str, Any]]) -> str:
    keys = sorted({str(r.get("evidence_key", "")) for r in evidence})
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()


def _calendar(session: Session) -> workdays.Calendar:
    return cases.calendar(session)


def warning_for_signal(session: Session, signal_id: int, *, now: datetime | None = None) -> GpsWarning | None:
    """The warning answering a signal of this application's rules: made now if the signal is new (None when it
    repeats facts already handled, or is not this application's)."""
    return _for_signal(session, signal_id, now or utcnow())[0]


def _for_signal(session: Session, signal_id: int, now: datetime) -> tuple[GpsWarning | None, bool]:
    sig = session.get(Signal, signal_id)
    if sig is None or not sig.rule.code.startswith("gps."):
        return None, False
    meta = shipped.meta().get(sig.rule.code)
    if meta is None:
        return None, False
    evidence = list(sig.evidence or [])
    print_ = fingerprint(evidence)
    existing = session.scalar(select(GpsWarning).where(GpsWarning.signal_id == sig.id))
    if existing is not None:
        if existing.status == "open" and existing.fingerprint != print_:  # a later run found more rows
            existing.evidence, existing.evidence_count, existing.fingerprint = evidence, sig.evidence_count, print_
            existing.title, existing.updated_at = sig.title, now
            _event(existing, "evidence", SYSTEM.username, f"证据更新为 {sig.evidence_count} 行", now)
        return existing, False
    if sig.status != "open":
        return None, False
    prior = session.scalar(select(GpsWarning).where(GpsWarning.rule_code == sig.rule.code,
                                                    GpsWarning.subject_key == sig.subject_key)
                           .order_by(GpsWarning.id.desc()).limit(1))
    if prior is not None and prior.status in ("closed", "dismissed") and prior.fingerprint == print_:
        _close_signal(session, sig, "dismissed" if prior.status == "dismissed" else "closed", now,
                      f"与已{'排除' if prior.status == 'dismissed' else '销号'}的预警 GPS-{prior.id} 证据相同")
        return None, False
    first = evidence[0] if evidence else {}
    w = GpsWarning(
        signal_id=sig.id, rule_code=sig.rule.code, matter=meta.matter, subject_key=sig.subject_key,
        title=sig.title, severity=sig.severity, region_code=sig.region_code or str(first.get("region_code", "")),
        town=str(first.get("town") or "")[:60], village=str(first.get("village") or "")[:60], colour="red",
        status="open", raised_at=now, due_at=workdays.add_workdays(_calendar(session), now, meta.rectify_workdays),
        evidence=evidence, evidence_count=sig.evidence_count, fingerprint=print_,
        recurrence_of=prior.id if prior is not None else None, updated_at=now)
    session.add(w)
    session.flush()
    again = f"；此前预警 GPS-{prior.id} 已{_status_zh(prior.status)}，又有新的证据" if prior is not None else ""
    _event(w, "raise", SYSTEM.username,
           f"{meta.name}（{sig.rule.code} v{sig.rule_version}），证据 {w.evidence_count} 行{again}", now)
    record(session, SYSTEM, "gps.warning.raise", "gps_warning", w.id,
           detail={"signal": sig.id, "rule": w.rule_code, "subject": w.subject_key, "region": w.region_code,
                   "recurrence_of": w.recurrence_of, "due_at": w.due_at.isoformat()})
    notify(session, w, "raised", now=now)
    return w, True


BEIJING = timezone(timedelta(hours=8))


def beijing_day(moment: datetime) -> str:
    """The day of a UTC moment in Beijing time, as 2021年9月22日."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    d = moment.astimezone(BEIJING)
    return f"{d.year}年{d.month}月{d.day}日"


def _status_zh(status: str) -> str:
    return {"open": "待整改", "verified": "已核查", "closed": "销号", "dismissed": "排除"}.get(status, status)


def _event(w: GpsWarning, action: str, actor: str, note: str, at: datetime) -> None:
    w.events.append(GpsWarningEvent(at=at, actor=actor[:80], action=action, colour=w.colour, note=note[:MAX_TEXT]))


def _close_signal(session: Session, sig: Signal, status: str, now: datetime, note: str) -> None:
    """The platform signal a warning answered is closed (or dismissed) with it, so the rule raises a new one if the
    subject hits again. (The rule engine has no use case for this yet; the write is audited here.)"""
    if sig.status == "open":
        sig.status, sig.closed_at = status, now
        record(session, SYSTEM, f"signal.{status}", "signal", sig.id, detail={"rule": sig.rule.code, "note": note})


# ---------------------------------------------------------------- notices


@dataclass(frozen=True)
class Recipient:
    name: str
    post: str
    phone: str


def _named_in_evidence(w: GpsWarning) -> set[str]:
    text = " ".join(str(v) for row in w.evidence for v in row.values() if v is not None)
    return {name for name in _village_leaders_raw(w) if name and name in text}


def _village_leaders_raw(w: GpsWarning) -> dict[str, tuple[str, str]]:
    """The village's secretary and director from the cadre roster (民政's data: the read is audited by
    `recipients`), as name -> (post, phone); empty when the roster is not in the warehouse."""
    try:
        with get_warehouse().connect() as con:
            rows = con.execute(
                'SELECT "姓名", "职务", coalesce("联系电话", \'\') FROM clean."gps_village_cadre" WHERE "县区代码" = ? '
                'AND "乡镇(街道)" = ? AND "村(社区)" = ? AND ("职务" LIKE \'%书记%\' OR "职务" LIKE \'%主任%\') '
                'ORDER BY "职务", "姓名"', [w.region_code, w.town, w.village]).fetchall()
    except duckdb.Error:
        return {}
    return {str(r[0]): ("村" + str(r[1]).removeprefix("村"), str(r[2])) for r in rows}


def recipients(session: Session, w: GpsWarning, kind: str) -> list[Recipient]:
    """Who a notice of `kind` about `w` goes to: the town's leader and discipline official, the village's liaison
    station, and the village's secretary and director unless the evidence names them (they are the ones
    supervised); an overdue or verified warning also goes to the county's supervisor."""
    wanted = ["town_leader", "town_discipline", "liaison_head"]
    if kind in ("overdue", "verified"):
        wanted = ["county_supervisor", "town_leader", "town_discipline"]
    posts = session.scalars(select(GpsPost).where(
        GpsPost.region_code == w.region_code, GpsPost.post.in_(wanted),
        or_(GpsPost.post == "county_supervisor", GpsPost.town == w.town),
        or_(GpsPost.post != "liaison_head", GpsPost.village == w.village)).order_by(GpsPost.post, GpsPost.id)).all()
    out = [Recipient(p.name, POST_NAMES.get(p.post, p.post), p.phone) for p in posts]
    if kind in ("raised", "refused", "closed") and w.village:
        leaders = _village_leaders_raw(w)
        named = _named_in_evidence(w)
        record(session, SYSTEM, "gps.roster.read", "dataset", "gps_village_cadre",
               purpose="向村主要负责人发送预警通知", detail={"warning": w.id, "village": w.village,
                                                          "leaders": len(leaders), "withheld": len(named)})
        out += [Recipient(name, post, phone) for name, (post, phone) in leaders.items() if name not in named]
    return out


NOTICE_TEXT = {
    "raised": "【基层公权力大数据监督】{title}。请于{due}前完成整改，并由乡镇现场核查；"
              "未经核查的预警保持红色。预警编号 GPS-{id}。",
    "overdue": "【基层公权力大数据监督·督办】预警 GPS-{id}“{title}”已超过整改期限（{due}）仍未核查，"
               "请立即督促整改。",
    "verified": "【基层公权力大数据监督】{place}：预警 GPS-{id} 已由{who}现场核查，请审核销号。",
    "refused": "【基层公权力大数据监督】{place}：预警 GPS-{id} 的整改核查未通过，重新标红，请继续整改。",
    "closed": "【基层公权力大数据监督】{place}：预警 GPS-{id} 已销号。",
}


def notify(session: Session, w: GpsWarning, kind: str, *, now: datetime | None = None,
           who: str = "") -> list[GpsNotice]:
    """Send (store and publish) the notice of `kind` about `w` to each of its recipients."""
    now = now or utcnow()
    text = NOTICE_TEXT[kind].format(place=f"{w.town}{w.village}", title=f"{w.town}{w.title}",
                                    due=beijing_day(w.due_at), id=w.id, who=who)
    sent = []
    for r in recipients(session, w, kind):
        notice = GpsNotice(warning_id=w.id, at=now, kind=kind, recipient_name=r.name[:60],
                           recipient_post=r.post[:40], recipient_phone=r.phone[:20], text=text)
        session.add(notice)
        session.flush()
        bus.publish(session, "gps.notice", {
            "notice_id": notice.id, "warning_id": w.id, "kind": kind, "name": notice.recipient_name,
            "post": notice.recipient_post, "phone": notice.recipient_phone, "text": text,
            "region_code": w.region_code, "town": w.town, "village": w.village}, key=f"gps-notice-{notice.id}")
        sent.append(notice)
    _event(w, "notify", SYSTEM.username, f"短信通知{len(sent)}人：" + "、".join(f"{n.recipient_post}{n.recipient_name}"
                                                                         for n in sent), now)
    return sent


def mark_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Red warnings past their deadline: marked overdue and escalated to the county (督办); how many."""
    now = now or utcnow()
    late = session.scalars(select(GpsWarning).where(GpsWarning.status == "open", GpsWarning.overdue.is_(False),
                                                    GpsWarning.due_at < now).order_by(GpsWarning.id)).all()
    for w in late:
        w.overdue, w.updated_at = True, now
        _event(w, "overdue", SYSTEM.username, "超过整改期限仍未核查，督办", now)
        record(session, SYSTEM, "gps.warning.overdue", "gps_warning", w.id, detail={"due_at": w.due_at.isoformat()})
        notify(session, w, "overdue", now=now)
    return len(late)


# ---------------------------------------------------------------- reading


def _scope(actor: Actor) -> str | None:
    """The region-code prefix of what the actor supervises ('' = the whole province, None = nothing)."""
    if actor.has("platform_admin", "auditor"):
        return ""
    if actor.department_kind == HANDLER_KIND and actor.region_code:
        return jurisdiction_prefix(actor.region_code, actor.region_level)
    return None


def get(session: Session, actor: Actor, warning_id: int) -> GpsWarning:
    w = session.get(GpsWarning, warning_id)
    if w is None:
        raise NotFound(f"no warning {warning_id}", key="gps_warning_not_found")
    require(actor, "gps.view", w)
    return w


def read(session: Session, actor: Actor, warning_id: int) -> GpsWarning:
    """A warning with its evidence (other departments' data about named people): the read is audited."""
    w = get(session, actor, warning_id)
    record(session, actor, "gps.warning.read", "gps_warning", w.id, purpose="基层公权力监督：预警核查",
           detail={"rule": w.rule_code, "evidence": w.evidence_count})
    return w


@dataclass
class Filters:
    colour: str = ""
    status: str = ""
    rule: str = ""
    matter: str = ""
    region: str = ""
    town: str = ""
    village: str = ""


def list_warnings(session: Session, actor: Actor, filters: Filters | None = None, *, limit: int = 50,
                  offset: int = 0) -> tuple[list[GpsWarning], int]:
    require(actor, "gps.view")
    f = filters or Filters()
    prefix = _scope(actor)
    if prefix is None:
        return [], 0
    stmt = select(GpsWarning)
    if prefix:
        stmt = stmt.where(GpsWarning.region_code.startswith(prefix))
    for column, value in ((GpsWarning.colour, f.colour), (GpsWarning.status, f.status),
                          (GpsWarning.rule_code, f.rule), (GpsWarning.matter, f.matter),
                          (GpsWarning.town, f.town), (GpsWarning.village, f.village)):
        if value:
            stmt = stmt.where(column == value)
    if f.region:
        stmt = stmt.where(GpsWarning.region_code.startswith(f.region))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = (GpsWarning.status != "open", GpsWarning.colour != "red", GpsWarning.raised_at.desc(), GpsWarning.id.desc())
    rows = session.scalars(stmt.order_by(*order).limit(min(max(limit, 1), 500)).offset(max(offset, 0))).all()
    return list(rows), int(total)


# ---------------------------------------------------------------- decisions


def _text(value: str, field_name: str) -> str:
    text = (value or "").strip()
    if len(text) < 4:
        raise InvalidInput(f"{field_name} is required", key="gps_text_required", field=field_name)
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{field_name} is too long", key="gps_text_too_long", field=field_name)
    return text


def _expect(w: GpsWarning, statuses: tuple[str, ...], step: str) -> None:
    if w.status not in statuses:
        raise Conflict(f"warning {w.id} is {w.status}", key="gps_wrong_status", status=_status_zh(w.status), step=step)


def town_post(session: Session, actor: Actor, region_code: str, town: str) -> GpsPost | None:
    return session.scalar(select(GpsPost).where(GpsPost.username == actor.username, GpsPost.region_code == region_code,
                                                GpsPost.town == town, GpsPost.post.in_(TOWN_POSTS)).limit(1))


def verify(session: Session, actor: Actor, warning_id: int, *, rectification: str, verification: str,
           attachment: Upload | None, now: datetime | None = None) -> GpsWarning:
    """The town's on-site verification of the rectification: cleared when in time, yellow when late."""
    now = now or utcnow()
    w = get(session, actor, warning_id)
    require(actor, "gps.verify", w)
    _expect(w, ("open",), "核查")
    if town_post(session, actor, w.region_code, w.town) is None:
        raise PermissionDenied(f"{actor.username} is not posted to {w.town}", key="gps_not_town_official",
                               town=w.town)
    rect, found = _text(rectification, "整改情况"), _text(verification, "现场核查情况")
    if attachment is None or not attachment.content or not attachment.filename:
        raise InvalidInput("on-site evidence is required", key="gps_attachment_required", field="attachment")
    if len(attachment.content) > MAX_ATTACHMENT:
        raise InvalidInput("evidence too large", key="gps_attachment_too_large", limit=MAX_ATTACHMENT)
    late = now > w.due_at
    w.rectification, w.verification, w.verified_at, w.verified_by = rect, found, now, actor.username
    w.status, w.colour, w.updated_at = "verified", "yellow" if late else "cleared", now
    digest = hashlib.sha256(attachment.content).hexdigest()
    w.attachments.append(GpsAttachment(filename=attachment.filename[-200:], content=attachment.content,
                                       content_type=(attachment.content_type or "application/octet-stream")[:100],
                                       size=len(attachment.content), sha256=digest, uploaded_by=actor.username,
                                       uploaded_at=now))
    _event(w, "verify", actor.username, ("逾期核查，转黄：" if late else "按期核查：") + found, now)
    record(session, actor, "gps.warning.verify", "gps_warning", w.id,
           detail={"late": late, "colour": w.colour, "attachment": digest, "town": w.town})
    notify(session, w, "verified", now=now, who=actor.display_name or actor.username)
    return w


def close(session: Session, actor: Actor, warning_id: int, *, note: str = "",
          now: datetime | None = None) -> GpsWarning:
    """销号: the county discipline commission accepts the verified rectification; the warning is cleared."""
    now = now or utcnow()
    w = get(session, actor, warning_id)
    require(actor, "gps.supervise", w)
    _expect(w, ("verified",), "销号")
    if actor.username == w.verified_by:
        raise Conflict("the verifier cannot close", key="gps_same_person")
    w.status, w.colour, w.closed_at, w.closed_by = "closed", "cleared", now, actor.username
    w.close_note, w.updated_at = (note or "").strip()[:MAX_TEXT], now
    _event(w, "close", actor.username, w.close_note or "销号", now)
    sig = session.get(Signal, w.signal_id)
    if sig is not None and w.case_id is None:
        _close_signal(session, sig, "closed", now, f"预警 GPS-{w.id} 销号")
    record(session, actor, "gps.warning.close", "gps_warning", w.id, detail={"note": w.close_note[:200]})
    notify(session, w, "closed", now=now)
    return w


def refuse(session: Session, actor: Actor, warning_id: int, *, note: str, now: datetime | None = None) -> GpsWarning:
    """The verification does not hold: the warning is red again, to be rectified and verified anew."""
    now = now or utcnow()
    w = get(session, actor, warning_id)
    require(actor, "gps.supervise", w)
    _expect(w, ("verified",), "退回")
    reason = _text(note, "退回理由")
    w.status, w.colour, w.verified_at, w.updated_at = "open", "red", None, now
    _event(w, "refuse", actor.username, reason, now)
    record(session, actor, "gps.warning.refuse", "gps_warning", w.id, detail={"note": reason[:200]})
    notify(session, w, "refused", now=now)
    return w


def dismiss(session: Session, actor: Actor, warning_id: int, *, reason: str, now: datetime | None = None) -> GpsWarning:
    """排除: the hit is explained (with the reason); the warning is cleared without rectification."""
    now = now or utcnow()
    w = get(session, actor, warning_id)
    require(actor, "gps.supervise", w)
    _expect(w, ("open", "verified"), "排除")
    why = _text(reason, "排除理由")
    w.status, w.colour, w.closed_at, w.closed_by, w.close_note, w.updated_at = \
        "dismissed", "cleared", now, actor.username, why, now
    _event(w, "dismiss", actor.username, why, now)
    sig = session.get(Signal, w.signal_id)
    if sig is not None and w.case_id is None:
        _close_signal(session, sig, "dismissed", now, f"预警 GPS-{w.id} 排除：{why[:100]}")
    record(session, actor, "gps.warning.dismiss", "gps_warning", w.id, detail={"reason": why[:200]})
    return w


def file_case(session: Session, actor: Actor, warning_id: int, *, note: str = "",
              now: datetime | None = None) -> GpsWarning:
    """立案: a case of type `gps.case` about the warning, in the county discipline commission's inbox. The warning
    goes on (its rectification is still owed); the case engine closes the signal when the case closes."""
    now = now or utcnow()
    w = get(session, actor, warning_id)
    require(actor, "gps.supervise", w)
    if w.case_id is not None:
        existing = cases.get(session, cases.system(), w.case_id)
        raise Conflict("a case was filed already", key="gps_case_exists", number=existing.number)
    _expect(w, ("open", "verified", "closed"), "立案")
    meta = shipped.meta().get(w.rule_code)
    description = (f"{meta.name if meta else w.rule_code}：{w.title}。证据 {w.evidence_count} 行，见预警 GPS-{w.id}。"
                   + (f"\n立案意见：{note.strip()[:MAX_TEXT]}" if note.strip() else ""))
    case = cases.open_case(session, actor, CASE, title=w.title, description=description, category=w.matter,
                           channel="signal", region_code=w.region_code, street=w.town, address=f"{w.town}{w.village}",
                           severity=w.severity if w.severity in ("red", "orange", "yellow", "blue") else None,
                           signal_id=w.signal_id, subject_key=f"gps:{w.rule_code}:{w.subject_key}"[:200],
                           data={"warning_id": str(w.id), "rule": w.rule_code}, now=now)
    cases.dispatch(session, cases.system(), case.id, w.matter, f"{w.region_code}-{HANDLER_KIND}",
                   note=f"由预警 GPS-{w.id} 立案", now=now)
    w.case_id, w.updated_at = case.id, now
    _event(w, "file_case", actor.username, f"立案 {case.number}" + (f"：{note.strip()[:200]}" if note.strip() else ""),
           now)
    record(session, actor, "gps.warning.file_case", "gps_warning", w.id, detail={"case": case.number})
    return w


def attachment(session: Session, actor: Actor, warning_id: int, attachment_id: int) -> GpsAttachment:
    w = get(session, actor, warning_id)
    found = next((a for a in w.attachments if a.id == attachment_id), None)
    if found is None:
        raise NotFound(f"no attachment {attachment_id}", key="gps_warning_not_found")
    record(session, actor, "gps.attachment.read", "gps_warning", w.id, detail={"attachment": found.sha256})
    return found


def notices(session: Session, warning_id: int) -> list[GpsNotice]:
    return list(session.scalars(select(GpsNotice).where(GpsNotice.warning_id == warning_id)
                                .order_by(GpsNotice.id)))
