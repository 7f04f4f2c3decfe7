"""A bundle end to end: one application fans out to a case in each department's inbox through the case engine, the
BPMN join waits for every item, the combined result goes to the applicant, who rates it (好差评)."""

from __future__ import annotations

import pytest
from bundles_helpers import FATHER, MOTHER, actor, apply_newborn, grant
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.core import bus
from digigov.core.errors import Conflict, InvalidInput, PermissionDenied
from digigov.platform.bundles import catalogue, process, service
from digigov.platform.bundles.case_type import TYPE_CODE
from digigov.platform.bundles.model import BundleApplication
from digigov.platform.cases import queries
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case

HANDLERS = {  # item -> a user of the department that handles it for 西湖区
    "health.birth_certificate": "xh_health_officer",
    "public_security.birth_registration": "xh_police_officer",
    "medical_security.newborn_enrolment": "xh_medsec_officer",
    "human_resources.social_security_card": "hz_hrss_steward",  # a city-level item: 杭州市人社局
}


def _case(session: Session, app: BundleApplication, item: str) -> Case:
    run = next(r for r in app.runs if r.item_code == item)
    case = session.get(Case, run.case_id)
    assert case is not None
    return case


def test_each_department_inbox_gets_its_case_and_the_join_waits_for_all(bsession: Session) -> None:
    app = apply_newborn(bsession)
    assert app.status == "in_progress" and app.receipt.startswith("YJS") and len(app.runs) == 4
    assert process.state(process.load(app.workflow)).waiting_items == tuple(HANDLERS)
    for item, username in HANDLERS.items():
        officer = actor(bsession, username)
        case = _case(bsession, app, item)
        assert case.type_code == TYPE_CODE and case.category == item and case.status == "assigned"
        assert case.department_id == officer.department_id and case.due_at is not None
        inbox = queries.inbox(bsession, officer)["handling"]
        assert case.id in {c.id for c in inbox}, f"{item} is not in {username}'s inbox"
        # the case carries this item's part of the merged form, and nothing of the other items'
        own = {f.id for f in catalogue.item(item).fields}
        assert case.data["form"] and set(case.data["form"]) <= own
        assert case.data["bundle_receipt"] == app.receipt
    # another department's officer may not answer the health item
    with pytest.raises(PermissionDenied):
        service.decide_item(bsession, actor(bsession, "xh_police_officer"), app.runs[0].id, outcome="approved",
                            note="x", certificate="x")
    items = list(HANDLERS)
    for n, item in enumerate(items[:3]):
        run = next(r for r in app.runs if r.item_code == item)
        service.decide_item(bsession, actor(bsession, HANDLERS[item]), run.id, outcome="approved", note="准予办理。",
                            certificate=f"CERT-{n}")
        assert _case(bsession, app, item).status == "closed"
        bsession.refresh(app)
        assert app.status == "in_progress", "the join must wait for every item"
        assert process.state(process.load(app.workflow)).waiting_items == tuple(items[n + 1:])
    with pytest.raises(Conflict):  # an item decided once stays decided
        service.decide_item(bsession, actor(bsession, HANDLERS[items[0]]), app.runs[0].id, outcome="refused",
                            note="x")
    last = next(r for r in app.runs if r.item_code == items[3])
    service.decide_item(bsession, actor(bsession, HANDLERS[items[3]]), last.id, outcome="approved",
                        note="社保卡已制卡，邮寄到家。", certificate="C33010600871")
    bsession.refresh(app)
    assert app.status == "completed" and app.result == "approved" and app.completed_at is not None
    assert "社会保障卡申领（新生儿）：准予（社会保障卡卡号：C33010600871）" in app.result_note
    assert "出生医学证明签发：准予（出生医学证明编号：CERT-0）" in app.result_note
    st = process.state(process.load(app.workflow))
    assert st.joined and st.result == "approved" and st.outcomes == ("approved",) * 4 and not st.completed
    view = service.public_view(bsession, app)
    assert view["done"] == 4 and view["can_rate"] and all(i["progress"] == "done" for i in view["items"])


def test_an_answer_on_the_case_page_reaches_the_process_through_the_bus(bsession: Session) -> None:
    app = apply_newborn(bsession)
    for item in list(HANDLERS)[:3]:
        run = next(r for r in app.runs if r.item_code == item)
        service.decide_item(bsession, actor(bsession, HANDLERS[item]), run.id, outcome="approved", note="好",
                            certificate="N1")
    # the social security card is answered on the generic case page: accept, then a refusal
    officer = actor(bsession, "hz_hrss_steward")
    case = _case(bsession, app, "human_resources.social_security_card")
    cases.accept(bsession, officer, case.id)
    cases.respond(bsession, officer, case.id, "【不予】新生儿照片不符合制卡要求，请重新提交。")
    bsession.flush()
    for subject in ("case.accept", "case.respond"):
        payload = cases.event_payload(case, subject.split(".")[1])
        service.on_case_event(bsession, bus.Event(0, subject, "k", payload, case.updated_at))
    bsession.refresh(app)
    run = next(r for r in app.runs if r.item_code == "human_resources.social_security_card")
    assert run.status == "done" and run.outcome == "refused" and run.note.startswith("【不予】")
    assert app.status == "completed" and app.result == "partial"
    # a second delivery of the same event changes nothing (at least once)
    service.on_case_event(bsession, bus.Event(0, "case.respond", "k", cases.event_payload(case, "respond"),
                                              case.updated_at))
    bsession.refresh(app)
    assert app.result == "partial"


def test_sync_catches_up_with_a_case_closed_while_the_bus_was_down(bsession: Session) -> None:
    app = apply_newborn(bsession)
    for item, username in HANDLERS.items():
        officer = actor(bsession, username)
        cases.respond(bsession, officer, _case(bsession, app, item).id, "准予。")
    assert app.status == "in_progress"  # nobody told the bundle yet
    assert service.sync(bsession, app)
    assert app.status == "completed" and app.result == "approved"


def test_rating_ends_the_process_once(bsession: Session) -> None:
    app = apply_newborn(bsession)
    with pytest.raises(Conflict):  # not completed yet
        service.rate(bsession, app.token, 5)
    for item, username in HANDLERS.items():
        run = next(r for r in app.runs if r.item_code == item)
        service.decide_item(bsession, actor(bsession, username), run.id, outcome="approved", note="好", certificate="1")
    with pytest.raises(InvalidInput):
        service.rate(bsession, app.token, 6)
    with pytest.raises(InvalidInput):
        service.rate(bsession, app.token, 0)
    rated = service.rate(bsession, app.token, 4, comment="不用跑，就是社保卡等了几天。")
    assert rated.rating == 4 and rated.rating_comment.startswith("不用跑") and rated.rated_at is not None
    assert process.state(process.load(rated.workflow)).completed
    with pytest.raises(Conflict):
        service.rate(bsession, app.token, 5)
    logged = bsession.scalars(select(AuditRecord.action).where(AuditRecord.object_id == app.receipt)).all()
    assert {"bundles.apply", "bundles.item.decide", "bundles.complete", "bundles.rate"} <= set(logged)


def test_a_returned_item_is_rerouted_by_the_lead_window(bsession: Session) -> None:
    app = apply_newborn(bsession)
    police = actor(bsession, "xh_police_officer")
    case = _case(bsession, app, "public_security.birth_registration")
    cases.return_case(bsession, police, case.id, "父亲户籍不在本辖区，应由户籍地派出所办理。")
    service.on_case_event(bsession, bus.Event(0, "case.return", "k", cases.event_payload(case, "return"),
                                              case.updated_at))
    run = next(r for r in app.runs if r.item_code == "public_security.birth_registration")
    assert run.status == "returned"
    with pytest.raises(PermissionDenied):  # not the lead department (health leads the newborn bundle)
        service.reroute_item(bsession, police, run.id, "330105-public_security")
    service.reroute_item(bsession, actor(bsession, "xh_health_officer"), run.id, "330105-public_security")
    assert case.department is not None and case.department.code == "330105-public_security"
    assert run.status == "open" and case.status == "assigned"


def test_prefilled_values_come_from_the_grant_holders_data(bsession: Session) -> None:
    grant(bsession, "xh_police_officer")
    app = apply_newborn(bsession, extra={"applicant.address": "有人乱填的地址路1号", "mother.person_name": "乱填"})
    # public security's grant fills in what the register says, whatever was typed
    assert app.form["applicant.address"] == FATHER.address and app.form["mother.person_name"] == MOTHER.name
    assert app.prefilled["applicant.address"]["dataset"] == "ps_household"
    assert app.prefilled["applicant.address"]["basis"] == "grant"
    # the newborn's values are the applicant's own
    assert app.form["newborn.person_name"] == "陈子墨"
