"""A warning's life: red until an official of its town verifies the rectification on site with evidence; cleared
when verified in time, yellow when late; closed by the county (not by the verifier), refused back to red,
dismissed with a reason, filed as a case; overdue warnings escalated; the same facts after closure raise no new
warning, new facts do; every step notified (stored and published on the bus) and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.grassroots_power_supervision.conftest import OP, World

from digigov.apps.party_governance.grassroots_power_supervision import service
from digigov.apps.party_governance.grassroots_power_supervision.model import GpsNotice, GpsPost, GpsWarning
from digigov.audit.model import AuditRecord
from digigov.core import bus
from digigov.core.bus_model import OutboxEvent
from digigov.core.errors import Conflict, InvalidInput, PermissionDenied
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.cases.model import Case
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import Signal

PHOTO = service.Upload("现场照片.jpg", b"\xff\xd8 photo of the rectified site", "image/jpeg")


def user(s: Session, username: str) -> Actor:
    return Actor.from_user(identity.get_user(s, username))


def jiande(s: Session) -> GpsWarning:
    """The 建德 warning: five projects to the secretary's employer, in the town jd_town_official serves."""
    w = next(w for w in s.scalars(select(GpsWarning).where(GpsWarning.rule_code == "gps.project_cadre_interest",
                                                           GpsWarning.region_code == "330182"))
             if w.evidence_count == 5)
    post = s.scalar(select(GpsPost).where(GpsPost.username == "jd_town_official"))
    assert post is not None and post.town == w.town
    return w


def test_red_stays_red_without_verified_evidence(world: World, gps: Session) -> None:
    w = jiande(gps)
    official = user(gps, "jd_town_official")
    with pytest.raises(InvalidInput) as exc:  # no attachment: nothing verified
        service.verify(gps, official, w.id, rectification="已整改到位", verification="到村现场查看", attachment=None)
    assert exc.value.key == "gps_attachment_required"
    with pytest.raises(PermissionDenied):  # the village's liaison officer is not an official of the town
        service.verify(gps, user(gps, "jd_liaison_officer"), w.id, rectification="已整改到位",
                       verification="到村现场查看", attachment=PHOTO)
    with pytest.raises(PermissionDenied):  # the supervisor cannot verify on site either
        service.verify(gps, user(gps, "jd_discipline_supervisor"), w.id, rectification="已整改到位",
                       verification="到村现场查看", attachment=PHOTO)
    with pytest.raises(Conflict):  # nothing to close before a verification
        service.close(gps, user(gps, "jd_discipline_supervisor"), w.id)
    assert service.mark_overdue(gps, now=w.due_at + timedelta(days=1)) >= 1
    gps.refresh(w)
    assert (w.colour, w.status, w.overdue) == ("red", "open", True)
    assert [e.action for e in w.events][-2:] == ["overdue", "notify"]
    assert any(n.kind == "overdue" and n.recipient_post == "县纪委监委监督检查室" for n in service.notices(gps, w.id))


def test_verified_in_time_is_cleared_then_closed_by_the_county(world: World, gps: Session) -> None:
    w = jiande(gps)
    official, supervisor = user(gps, "jd_town_official"), user(gps, "jd_discipline_supervisor")
    service.verify(gps, official, w.id, rectification="工程款暂停支付，重新招标", verification="查看合同和付款凭证",
                   attachment=PHOTO, now=w.due_at - timedelta(days=1))
    assert (w.colour, w.status) == ("cleared", "verified")
    assert w.attachments[0].sha256 and w.attachments[0].size == len(PHOTO.content)
    with pytest.raises(Conflict) as exc:  # who verified does not close
        service.close(gps, Actor(**{**official.__dict__, "roles": frozenset({"approver"})}), w.id)
    assert exc.value.key == "gps_same_person"
    service.close(gps, supervisor, w.id, note="整改到位", now=w.due_at)
    assert (w.colour, w.status, w.closed_by) == ("cleared", "closed", "jd_discipline_supervisor")
    sig = gps.get(Signal, w.signal_id)
    assert sig is not None and sig.status == "closed"
    actions = set(gps.scalars(select(AuditRecord.action).where(AuditRecord.object_type == "gps_warning",
                                                               AuditRecord.object_id == str(w.id))))
    assert {"gps.warning.raise", "gps.warning.verify", "gps.warning.close"} <= actions


def test_late_verification_turns_yellow_and_a_refusal_red_again(world: World, gps: Session) -> None:
    w = jiande(gps)
    official, supervisor = user(gps, "jd_town_official"), user(gps, "jd_discipline_supervisor")
    service.verify(gps, official, w.id, rectification="已重新招标", verification="现场查看", attachment=PHOTO,
                   now=w.due_at + timedelta(hours=2))
    assert (w.colour, w.status) == ("yellow", "verified")
    with pytest.raises(InvalidInput):
        service.refuse(gps, supervisor, w.id, note="")
    service.refuse(gps, supervisor, w.id, note="付款凭证与合同不符，继续整改")
    assert (w.colour, w.status, w.verified_at) == ("red", "open", None)
    service.verify(gps, official, w.id, rectification="已追回多付工程款", verification="核对进账单",
                   attachment=PHOTO, now=w.due_at + timedelta(days=5))
    service.close(gps, supervisor, w.id)
    assert [e.colour for e in w.events if e.action in ("verify", "refuse", "close")] == \
        ["yellow", "red", "yellow", "cleared"]


def test_notices_go_to_the_town_and_village_but_not_to_the_suspect(world: World, gps: Session) -> None:
    w = jiande(gps)
    raised = [n for n in service.notices(gps, w.id) if n.kind == "raised"]
    posts = {n.recipient_post for n in raised}
    assert {"乡镇党委书记", "乡镇纪委书记", "村监察工作联络站站长"} <= posts
    evidence = " ".join(str(v) for r in w.evidence for v in r.values())
    assert all(n.recipient_name not in evidence for n in raised)  # the secretary named in it is not told
    assert all("GPS-" in n.text and w.town in n.text for n in raised)
    published = [e for e in gps.scalars(select(OutboxEvent).where(OutboxEvent.subject == "gps.notice"))
                 if e.payload.get("warning_id") == w.id]
    assert {e.payload["notice_id"] for e in published} == {n.id for n in service.notices(gps, w.id)}


def test_dismissal_and_a_case(world: World, gps: Session) -> None:
    supervisor = user(gps, "jd_discipline_supervisor")
    w = jiande(gps)
    service.file_case(gps, supervisor, w.id, note="移送审查调查")
    case = gps.get(Case, w.case_id)
    assert case is not None and case.type_code == "gps.case" and case.signal_id == w.signal_id
    assert case.department is not None and case.department.code == "330182-discipline"
    assert case.status == "assigned" and case.category == "project"
    with pytest.raises(Conflict):
        service.file_case(gps, supervisor, w.id)
    other = next(x for x in gps.scalars(select(GpsWarning).where(GpsWarning.region_code == "330182",
                                                                 GpsWarning.id != w.id)))
    with pytest.raises(InvalidInput):
        service.dismiss(gps, supervisor, other.id, reason="")
    service.dismiss(gps, supervisor, other.id, reason="经核实为正常业务，数据口径差异")
    assert (other.status, other.colour) == ("dismissed", "cleared")
    xiaoshan = gps.scalars(select(GpsWarning).where(GpsWarning.region_code == "330109")).first()
    assert xiaoshan is not None
    with pytest.raises(PermissionDenied):  # 建德's commission does not supervise 萧山
        service.dismiss(gps, supervisor, xiaoshan.id, reason="不属于本县")


def test_handled_facts_raise_no_new_warning_but_new_facts_do(world: World, gps: Session) -> None:
    supervisor = user(gps, "jd_discipline_supervisor")
    w = jiande(gps)
    service.verify(gps, user(gps, "jd_town_official"), w.id, rectification="已经整改到位", verification="已到现场核查",
                   attachment=PHOTO)
    service.close(gps, supervisor, w.id)
    before = {x.id for x in gps.scalars(select(GpsWarning))}
    again = service.sweep(gps, OP)
    assert again.errors == {}
    assert again.raised == [] and again.suppressed >= 1  # the open ones update, the closed one is suppressed
    assert {x.id for x in gps.scalars(select(GpsWarning))} == before
    # the same subject with other evidence (a sixth project, say) is a recurrence: a new warning naming the old
    w.fingerprint = "0" * 64
    gps.flush()
    third = service.sweep(gps, OP)
    recurred = [gps.get(GpsWarning, i) for i in third.raised]
    assert [(x.subject_key, x.recurrence_of, x.colour) for x in recurred if x] == [(w.subject_key, w.id, "red")]


def test_a_scheduled_run_makes_warnings_through_the_bus(world: World, gps: Session) -> None:
    """Signals raised by the worker's scheduled run reach the app as `signal.raised` events."""
    w = jiande(gps)
    sig = gps.get(Signal, w.signal_id)
    assert sig is not None
    gps.delete(w)
    gps.flush()
    event = gps.scalars(select(OutboxEvent).where(OutboxEvent.subject == "signal.raised")
                        .order_by(OutboxEvent.seq)).all()
    mine = next(e for e in event if e.payload.get("signal_id") == sig.id)
    service.on_signal(gps, bus.Event(mine.seq, mine.subject, mine.key or "", dict(mine.payload), mine.at))
    service.on_signal(gps, bus.Event(mine.seq, mine.subject, mine.key or "", dict(mine.payload), mine.at))
    made = gps.scalars(select(GpsWarning).where(GpsWarning.signal_id == sig.id)).all()
    assert len(made) == 1 and made[0].colour == "red" and made[0].evidence_count == 5
    assert rules.get_signal(gps, OP, sig.id).status == "open"
    assert gps.scalars(select(GpsNotice).where(GpsNotice.warning_id == made[0].id)).first() is not None
