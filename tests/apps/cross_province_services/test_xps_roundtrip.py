"""A cross-province application end to end between two live instances: applied at a 衢州 window for an
item competent in 南平, a case in the 南平 department's inbox, handled and answered there, the result back
in 衢州 (completed); refusals of tampered and misdirected packages; a peer that is down, then retried."""

from __future__ import annotations

import hashlib
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests.apps.cross_province_services.conftest import City
from tests.platform.federation.conftest import OP

from digigov.apps.digital_government.cross_province_services import service as xps
from digigov.apps.digital_government.cross_province_services.model import XpsApplication, XpsMaterial
from digigov.core import bus
from digigov.core.clock import utcnow
from digigov.core.db import unit_of_work
from digigov.core.errors import InvalidInput
from digigov.platform.cases import queries
from digigov.platform.cases import service as cases
from digigov.platform.federation import log
from digigov.platform.federation import service as federation
from digigov.platform.federation.model import FederationInstance

ID = "11010519491231002X"  # a resident ID number with a valid check digit
ITEM = "XPS-GJ-003"  # 住房公积金异地转移接续: 居民身份证 + 异地转移接续申请表, 5 working days
FILES = [xps.Upload("居民身份证", "id.pdf", b"%PDF-1.4 id card scan", "application/pdf"),
         xps.Upload("异地转移接续申请表", "form.pdf", b"%PDF-1.4 transfer form", "application/pdf")]


def _apply(quzhou: City, item: str = ITEM, files: list[xps.Upload] | None = None) -> int:
    clerk = quzhou.staff("human_resources", "qz_window")
    with unit_of_work(quzhou.factory) as s:
        app = xps.apply(s, clerk, item_code=item, target_city="350700", applicant_name="张三", id_number=ID,
                        phone="13800000000", form={"转入单位": "南平市某公司"},
                        materials=FILES if files is None else files,
                        settings=quzhou.settings)
        return app.id


def _deliver(city: City, app_id: int) -> XpsApplication:
    with unit_of_work(city.factory) as s:
        app = xps.deliver(s, None, app_id, settings=city.settings)
        s.flush()
        s.expunge(app)
        return app


def _load(city: City, app_id: int) -> XpsApplication:
    with unit_of_work(city.factory) as s:
        app = s.get(XpsApplication, app_id)
        assert app is not None
        _ = (app.events, app.materials)
        s.expunge(app)
        return app


def _incoming(city: City, ref: str) -> XpsApplication | None:
    with unit_of_work(city.factory) as s:
        app = s.scalar(select(XpsApplication).where(XpsApplication.ref == ref, XpsApplication.direction == "in"))
        if app is not None:
            _ = (app.events, app.materials)
            s.expunge(app)
        return app


def test_apply_at_quzhou_handled_in_nanping_result_back(cities: tuple[City, City]) -> None:
    quzhou, nanping = cities
    app_id = _apply(quzhou)
    assert _load(quzhou, app_id).status == "submitted"
    sent = _deliver(quzhou, app_id)
    assert sent.status == "accepted" and sent.due_at is not None and sent.accepted_at is not None

    incoming = _incoming(nanping, sent.ref)
    assert incoming is not None and incoming.status == "accepted" and incoming.department == "350700-housing"
    assert [m.sha256 for m in incoming.materials] == [hashlib.sha256(f.content).hexdigest() for f in FILES]
    handler = nanping.staff("housing", "np_fund_officer")
    with unit_of_work(nanping.factory) as s:  # the case waits in the competent department's inbox
        inbox = queries.inbox(s, handler)
        case = next(c for c in inbox["handling"] if c.id == incoming.case_id)
        assert (case.type_code, case.category, case.status, case.step) == (
            "xps.application", ITEM, "assigned", "accept")
        assert case.due_at is not None and case.due_at == incoming.due_at
        cases.accept(s, handler, case.id)
    bus.drain(nanping.factory)
    assert _incoming(nanping, sent.ref).status == "in_progress"  # type: ignore[union-attr]
    with unit_of_work(quzhou.factory) as s:
        assert xps.refresh(s, quzhou.staff("human_resources"), app_id, settings=quzhou.settings).status == \
            "in_progress"

    doc = xps.Upload("", "transfer-notice.pdf", b"%PDF-1.4 transfer approved", "application/pdf")
    with unit_of_work(nanping.factory) as s:
        decided = xps.decide(s, handler, incoming.id, result="approved", note="转移接续已办结，资金已划转",
                             document=doc, settings=nanping.settings)
        assert decided.status == "result_pending"
    bus.drain(nanping.factory)  # the consumer sees the answer given; nothing more to do
    returned = _deliver(nanping, incoming.id)
    assert returned.status == "result_returned"

    done = _load(quzhou, app_id)
    assert (done.status, done.result, done.result_note) == ("completed", "approved", "转移接续已办结，资金已划转")
    result_doc = next(m for m in done.materials if m.role == "result")
    assert result_doc.content == doc.content and result_doc.sha256 == hashlib.sha256(doc.content).hexdigest()
    steps = [(e.side, e.step) for e in done.events]
    assert steps[:3] == [("origin", "submitted"), ("origin", "sent"), ("competent", "accepted")]
    assert ("competent", "in_progress") in steps and ("competent", "decided") in steps
    assert steps[-1] == ("origin", "completed")
    with unit_of_work(nanping.factory) as s:
        assert cases.get(s, cases.system(), incoming.case_id).response.startswith("【准予】")  # type: ignore[arg-type]
    for city in cities:
        with unit_of_work(city.factory) as s:
            assert log.verify(s, OP).ok


def test_a_tampered_material_digest_is_refused(cities: tuple[City, City]) -> None:
    quzhou, nanping = cities
    app_id = _apply(quzhou)
    with unit_of_work(quzhou.factory) as s:
        s.execute(update(XpsMaterial).where(XpsMaterial.application_id == app_id, XpsMaterial.name == "居民身份证")
                  .values(content=b"%PDF-1.4 another person's card"))
    refused = _deliver(quzhou, app_id)
    assert refused.status == "refused" and refused.last_error.startswith("xps_digest_mismatch")
    assert refused.next_attempt_at is None  # a refusal is not retried
    assert _incoming(nanping, refused.ref) is None


def test_an_item_not_offered_at_the_target_is_refused(cities: tuple[City, City]) -> None:
    quzhou, nanping = cities
    clerk = quzhou.staff("human_resources")
    with unit_of_work(quzhou.factory) as s, pytest.raises(InvalidInput) as refused_here:
        xps.apply(s, clerk, item_code="XPS-MZ-004", target_city="350700", applicant_name="李四", id_number=ID,
                  materials=[], settings=quzhou.settings)  # 残疾人两项补贴: 衢州 and 上饶 only
    assert refused_here.value.key == "xps_item_not_offered"
    # a package that says so anyway is refused by 南平 itself, with the reason in its signed answer
    with unit_of_work(quzhou.factory) as s:
        app = xps.apply(s, clerk, item_code=ITEM, target_city="350700", applicant_name="李四", id_number=ID,
                        materials=FILES, settings=quzhou.settings)
        body = xps.package(app)
        body["item"] = "XPS-MZ-004"
        reply = federation.send(s, clerk, "fj-nanping", xps.KIND_APPLY, body, xps.PURPOSE_APPLY,
                                settings=quzhou.settings)
    assert (reply.ok, reply.status, reply.reason) == (False, 422, "xps_item_not_offered")
    assert _incoming(nanping, body["ref"]) is None


def test_a_peer_that_is_down_is_retried_later(cities: tuple[City, City]) -> None:
    quzhou, nanping = cities
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    with unit_of_work(quzhou.factory) as s:
        s.execute(update(FederationInstance).where(FederationInstance.instance_id == "fj-nanping")
                  .values(base_url=dead))
    app_id = _apply(quzhou)
    failed = _deliver(quzhou, app_id)
    assert failed.status == "send_failed" and failed.last_error.startswith("unreachable")
    assert failed.next_attempt_at is not None
    assert xps.retry_due(quzhou.factory, settings=quzhou.settings) == 0  # not due yet
    with unit_of_work(quzhou.factory) as s:  # 南平 is back
        s.execute(update(FederationInstance).where(FederationInstance.instance_id == "fj-nanping")
                  .values(base_url=nanping.url))
    later = utcnow() + timedelta(seconds=quzhou.settings.xps_retry_seconds + 1)
    assert xps.retry_due(quzhou.factory, settings=quzhou.settings, now=later) == 1
    app = _load(quzhou, app_id)
    assert app.status == "accepted" and app.attempts == 2
    assert [e.step for e in app.events if e.side == "origin"] == ["submitted", "send_failed", "sent"]
    assert _incoming(nanping, app.ref) is not None
