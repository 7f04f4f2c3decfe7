"""Shared-data queries between two live federated instances: 衢州 (zj-quzhou) asks 南平 (fj-nanping) for a
dataset, 南平's steward narrows and approves it, 衢州 reads under the grant (granted fields only, masked as
granted, rows of the filter only, within the quota), 南平 revokes and the next read is a signed refusal; both
message logs and audit chains verify, and 南平's audit names the remote department for every read. Then the
handlers on one store: a remote department never takes over a local one or another instance's, and an expired
grant is named as such."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sharing_helpers import Col, in_days, make_dataset, people
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import fresh_database_url
from tests.platform.federation.conftest import OP, serving

from digigov.audit import service as audit
from digigov.audit.model import AuditRecord
from digigov.core.clock import utcnow
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.errors import Conflict, NotFound, PermissionDenied
from digigov.core.settings import Settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import Department, Region, User
from digigov.migrations.runner import upgrade
from digigov.platform.federation import log
from digigov.platform.federation import service as federation
from digigov.platform.federation.model import FederationMessage
from digigov.platform.sharing import federated
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import Grant
from digigov.platform.standards import masking, registry
from digigov.platform.warehouse import service as warehouse
from digigov.web.app import create_app

QUZHOU, NANPING = "zj-quzhou", "fj-nanping"
CONSUMER = "330800-human_resources"  # 衢州市人力资源和社会保障局
OWNER = "350700-public_security"  # 南平市公安局
REMOTE_USER = f"federation:{QUZHOU}:{CONSUMER}"

COLS = [Col("name", "L2", element="person_name"), Col("phone", "L2", element="mobile"), Col("region_code", "L1"),
        Col("age", "L1", "INTEGER"), Col("address", "L2", element="address")]
ROWS = [
    ["林建华", "13905990001", "350702", 44, "福建省南平市延平区滨江中路1号"],
    ["陈美玲", "13905990002", "350781", 37, "福建省南平市邵武市五四路2号"],
    ["黄志强", "13905990003", "350702", 52, "福建省南平市延平区八一路3号"],
    ["吴晓燕", "13905990004", "350702", 29, "福建省南平市延平区新建路4号"],
    ["郑国平", "13905990005", "350782", 61, "福建省南平市武夷山市国际大道5号"],
]
IN_FILTER = [r for r in ROWS if r[2] == "350702"]


@dataclass(frozen=True)
class Live:
    instance_id: str
    settings: Settings
    factory: sessionmaker[Session]
    actor: Actor  # 衢州: an officer of the human-resources bureau; 南平: the police bureau's data steward


def _seed_quzhou(factory: sessionmaker[Session]) -> Actor:
    with unit_of_work(factory) as s:
        identity.seed_regions_and_departments(s, OP, kinds=["human_resources"])
        dept = identity.get_department(s, CONSUMER)
        return Actor(username="qz_hr_officer", roles=frozenset({"officer"}), department_id=dept.id,
                     department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                     region_level=dept.tier)


def _seed_nanping(factory: sessionmaker[Session]) -> Actor:
    with unit_of_work(factory) as s:
        s.add(Region(code="350000", name="福建省", name_en="Fujian Province", level="province", parent_code=None))
        s.add(Region(code="350700", name="南平市", name_en="Nanping", level="city", parent_code="350000"))
        s.flush()
        dept = Department(code=OWNER, name="南平市公安局", name_en="Nanping Public Security", kind="public_security",
                          region_code="350700", tier="city", is_data_authority=False, active=True)
        s.add(dept)
        s.flush()
        return Actor(username="np_police_steward", roles=frozenset({"data_steward"}), department_id=dept.id,
                     department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                     region_level=dept.tier)


@pytest.fixture(scope="module")
def instances(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Live]]:
    """zj-quzhou and fj-nanping, each with its own store on the backend under test (two schemas on
    PostgreSQL) and its own app served on a free port, trusting each other."""
    tmp = tmp_path_factory.mktemp("sharing-federated")
    lives: list[Live] = []
    engines: list[Engine] = []
    with ExitStack() as stack:
        for instance_id, seed in ((QUZHOU, _seed_quzhou), (NANPING, _seed_nanping)):
            url, drop = fresh_database_url(backend, tmp)
            stack.callback(drop)  # type: ignore[arg-type]
            engine = make_engine(url)
            engines.append(engine)
            stack.callback(engine.dispose)
            upgrade(engine)
            factory = make_session_factory(engine)
            actor = seed(factory)
            settings = Settings(var_dir=tmp / instance_id, secret_key="test", database_url=url,
                                federation_timeout_seconds=60)
            base = stack.enter_context(serving(create_app(settings, session_factory=factory)))
            with unit_of_work(factory) as s:
                federation.init(s, OP, instance_id=instance_id, name=instance_id, base_url=base, settings=settings)
            # FastAPI builds its routes on the first request: done here, not inside an exchange
            assert httpx.get(base + federation.ANCHOR_PATH, timeout=180).status_code == 200
            lives.append(Live(instance_id, settings, factory, actor))
        for me, other in (lives, lives[::-1]):
            with unit_of_work(other.factory) as s:
                anchor = federation.export_anchor(s, settings=other.settings)
            with unit_of_work(me.factory) as s:
                federation.import_anchor(s, OP, anchor, settings=me.settings)
        yield lives[0], lives[1]


def _query(quzhou: Live, dataset: str, **kw: Any) -> federated.RemotePage:
    with unit_of_work(quzhou.factory) as s:
        return federated.query_remote(s, quzhou.actor, NANPING, dataset, settings=quzhou.settings, **kw)


def _refused_query(quzhou: Live, dataset: str) -> federated.RemoteRefused:
    """A refused query, caught inside the unit of work so that 衢州 keeps the exchange in its log."""
    with unit_of_work(quzhou.factory) as s, pytest.raises(federated.RemoteRefused) as refused:
        federated.query_remote(s, quzhou.actor, NANPING, dataset, settings=quzhou.settings)
    return refused.value


def test_a_remote_department_requests_reads_under_the_grant_and_is_refused_after_revocation(
        instances: tuple[Live, Live]) -> None:
    quzhou, nanping = instances
    code = "np_residents"
    with unit_of_work(nanping.factory) as s:
        make_dataset(s, code, COLS, ROWS, owner=OWNER)

    # 1. 衢州's officer asks 南平 for five fields, the name in clear, only 延平区's rows, 4 rows a day
    with unit_of_work(quzhou.factory) as s:
        sent = federated.request_remote(
            s, quzhou.actor, NANPING, code, fields=["name", "phone", "region_code", "age", "address"],
            unmasked=["name"], row_filter=[{"column": "region_code", "op": "prefix", "value": "350702"}],
            purpose="跨省就业补贴资格核查", legal_basis="《中华人民共和国就业促进法》", expires=in_days(30),
            quota_rows_per_day=4, settings=quzhou.settings)
    assert sent.state == "owner_review" and sent.owner == OWNER and not sent.needs_authority

    # 2. it waits in 南平's steward inbox, from 南平's representation of 衢州's bureau and its system user
    with unit_of_work(nanping.factory) as s:
        req = next(r for r in sharing.inbox(s, nanping.actor) if r.id == sent.request_id)
        assert (req.consumer.code, req.consumer.name, req.consumer.region_code) == (
            CONSUMER, "衢州市人力资源和社会保障局", "330800")
        assert s.get(Region, "330800").name == "衢州市" and s.get(Region, "330000").name == "浙江省"  # type: ignore[union-attr]
        user = req.requester
        assert user.username == REMOTE_USER and not user.active and not user.role_rows
        assert identity.authenticate(s, REMOTE_USER, "any-password-at-all") == (None, "failed")
        # the steward narrows: no address
        sharing.decide(s, nanping.actor, req.id, approve=True, comment="住址不予共享",
                       fields=["name", "phone", "region_code", "age"])
    with unit_of_work(quzhou.factory) as s:
        status = federated.request_status_remote(s, quzhou.actor, NANPING, sent.request_id, settings=quzhou.settings)
    assert status.state == "granted" and status.grant is not None
    assert status.grant["fields"] == ["name", "phone", "region_code", "age"] and status.grant["active"]

    # 3. 衢州 reads: granted fields only, the phone masked by its element's rule, 延平区's rows only
    page = _query(quzhou, code, limit=10)
    assert page.fields == ["name", "phone", "region_code", "age"] and page.masked == ["phone"]
    assert [(r["name"], r["region_code"], r["age"]) for r in page.records] == [(r[0], r[2], r[3]) for r in IN_FILTER]
    rule = masking.RULES[registry.elements()["mobile"].masking or "redact"]
    key = warehouse.masking_key()
    assert [r["phone"] for r in page.records] == [rule.python(r[1], key) for r in IN_FILTER]
    assert all(r["phone"] != clear[1] for r, clear in zip(page.records, IN_FILTER, strict=True))
    assert all("address" not in r for r in page.records)
    assert page.quota_remaining == 1
    json.dumps(page.records)  # JSON values only

    # 4. the quota: one row left today, then a signed 429
    assert len(_query(quzhou, code).records) == 1
    quota = _refused_query(quzhou, code)
    assert (quota.reason, quota.status) == ("too_many_requests", 429)

    # 5. 南平 revokes; 衢州's next read is a signed refusal naming the revocation
    with unit_of_work(nanping.factory) as s:
        sharing.revoke(s, nanping.actor, page.grant_id, reason="核查工作已结束")
    refused = _refused_query(quzhou, code)
    assert (refused.reason, refused.status) == ("grant_revoked", 403)
    answer = refused.reply.answer
    assert answer is not None and answer.kind == "error" and answer.sender == NANPING
    assert answer.in_reply_to == refused.reply.request.nonce and "核查工作已结束" in answer.body["message"]

    # 6. both logs and audit chains verify; 南平's audit names the remote department for each read it served
    for live in (quzhou, nanping):
        with unit_of_work(live.factory) as s:
            assert log.verify(s, OP).ok, live.instance_id
            assert audit.verify(s, OP).ok, live.instance_id
    with unit_of_work(nanping.factory) as s:
        reads = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "sharing.read",
                                                         AuditRecord.object_id == code)))
        assert [(r.actor, r.actor_department, json.loads(r.detail)["rows"]) for r in reads] == [
            (REMOTE_USER, "衢州市人力资源和社会保障局", 3), (REMOTE_USER, "衢州市人力资源和社会保障局", 1)]
        submitted = s.scalar(select(AuditRecord).where(AuditRecord.action == "sharing.request.submit",
                                                       AuditRecord.object_id == str(sent.request_id)))
        assert submitted is not None and submitted.actor == REMOTE_USER
        usage = [u for u in sharing.usage(s, nanping.actor, scope="owner") if u.dataset == code]
        assert [(u.consumer, u.calls, u.rows) for u in usage] == [(CONSUMER, 2, 4)]
        nonce = refused.reply.request.nonce
        revoked = s.scalars(select(FederationMessage).where(FederationMessage.in_reply_to == nonce)).one()
        assert (revoked.direction, revoked.reason, revoked.status) == ("out", "grant_revoked", 403)
    with unit_of_work(quzhou.factory) as s:
        mine = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "sharing.remote.read")))
        assert [(r.actor, json.loads(r.detail)["rows"]) for r in mine] == [("qz_hr_officer", 3), ("qz_hr_officer", 1)]
        kept = s.scalars(select(FederationMessage).where(FederationMessage.in_reply_to == nonce)).one()
        assert (kept.direction, kept.reason) == ("in", "grant_revoked")


def test_no_grant_an_unknown_dataset_and_a_core_field_are_refused_with_their_reasons(
        instances: tuple[Live, Live]) -> None:
    quzhou, nanping = instances
    code = "np_households"
    with unit_of_work(nanping.factory) as s:
        make_dataset(s, code, [Col("id_number", "L4", element="citizen_id"), Col("region_code", "L1")],
                     [["350702199001011234", "350702"]], owner=OWNER)
    assert _refused_query(quzhou, code).reason == "grant_missing"
    with unit_of_work(quzhou.factory) as s:
        with pytest.raises(federated.RemoteRefused) as core:
            federated.request_remote(s, quzhou.actor, NANPING, code, fields=["id_number"], purpose="核查",
                                     expires=in_days(10), settings=quzhou.settings)
        with pytest.raises(federated.RemoteRefused) as unknown:
            federated.request_remote(s, quzhou.actor, NANPING, "np_nothing", fields=["x"], purpose="核查",
                                     expires=in_days(10), settings=quzhou.settings)
    assert (core.value.reason, core.value.status) == ("invalid", 422) and "id_number" in core.value.reply.message
    assert (unknown.value.reason, unknown.value.status) == ("not_found", 404)


# ---------------------------------------------------------------- the handlers on one store (both backends)


def _inbound(session: Session, kind: str, body: dict[str, Any], *, sender: str = NANPING,
             department: str = "350700-human_resources") -> federation.Inbound:
    return federation.Inbound(session=session, settings=Settings(secret_key="test"),
                              actor=Actor(username=f"federation:{sender}", department_name=department,
                                          via="federation"),
                              sender=sender, department=department, purpose="跨省协查", kind=kind, nonce="n" * 32,
                              recipient="zj-hangzhou", body=body)


def _request_body(code: str, fields: list[str]) -> dict[str, Any]:
    return {"dataset": code, "fields": fields, "purpose": "跨省协查", "expires": in_days(20).isoformat(),
            "department_info": {"name": "南平市人力资源和社会保障局", "regions": [
                {"code": "350000", "name": "福建省", "name_en": "Fujian", "level": "province"},
                {"code": "350700", "name": "南平市", "name_en": "Nanping", "level": "city"}]}}


def test_a_remote_department_never_takes_over_a_local_one_or_another_instances(session: Session) -> None:
    people(session, "hz_people_fed")
    with pytest.raises(PermissionDenied) as local:  # 杭州市民政局 has its own staff here
        federated.answer_request(_inbound(session, "sharing.request", _request_body("hz_people_fed", ["age"]),
                                          department="330100-civil_affairs"))
    assert local.value.key == "sharing_remote_local"
    answer = federated.answer_request(_inbound(session, "sharing.request", _request_body("hz_people_fed", ["age"])))
    assert answer["state"] == "owner_review" and answer["consumer"] == "350700-human_resources"
    with pytest.raises(Conflict):  # the same department code from another instance
        federated.answer_request(_inbound(session, "sharing.request", _request_body("hz_people_fed", ["age"]),
                                          sender="js-suzhou"))
    with pytest.raises(federated.GrantMissing):  # nor can it read as that department
        federated.answer_query(_inbound(session, "sharing.query", {"dataset": "hz_people_fed"}, sender="js-suzhou"))
    with pytest.raises(NotFound):  # and the request is not its to see
        federated.answer_status(_inbound(session, "sharing.status", {"request": answer["request"]},
                                         sender="js-suzhou"))
    users = session.scalars(select(User.username).join(Department).where(
        Department.code == "350700-human_resources")).all()
    assert users == [f"federation:{NANPING}:350700-human_resources"]


def test_a_query_names_a_missing_then_an_expired_grant(session: Session,
                                                       actor_of: Any) -> None:
    people(session, "hz_people_exp")
    with pytest.raises(federated.GrantMissing):  # not even represented here yet
        federated.answer_query(_inbound(session, "sharing.query", {"dataset": "hz_people_exp"}))
    answer = federated.answer_request(_inbound(session, "sharing.request",
                                               _request_body("hz_people_exp", ["age", "region_code", "phone"])))
    with pytest.raises(federated.GrantMissing):  # represented, still under review
        federated.answer_query(_inbound(session, "sharing.query", {"dataset": "hz_people_exp"}))
    sharing.decide(session, actor_of("hz_police_steward"), answer["request"], approve=True)
    page = federated.answer_query(_inbound(session, "sharing.query", {"dataset": "hz_people_exp", "limit": 2}))
    assert page["fields"] == ["phone", "region_code", "age"] and len(page["records"]) == 2
    assert page["masked"] == ["phone"]
    grant = session.scalars(select(Grant).where(Grant.dataset_code == "hz_people_exp")).one()
    grant.expires_at = utcnow() - timedelta(minutes=1)
    session.flush()
    with pytest.raises(federated.GrantExpired) as expired:
        federated.answer_query(_inbound(session, "sharing.query", {"dataset": "hz_people_exp"}))
    assert expired.value.code == "grant_expired"
