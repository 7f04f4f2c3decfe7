"""Two live platform instances, each with its own store (SQLite, and the backend under test for the second),
its own keys and its own web app served by uvicorn on a free port: anchors exchanged as files, pings both
ways, refusals over HTTP with their statuses, revocation, an unreachable peer, and a tampered log row named
by `digigov audit verify`."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import fresh_database_url
from tests.platform.federation.conftest import OP, foreign, serving
from typer.testing import CliRunner

from digigov.audit.model import AuditRecord
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings, get_settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.federation import envelope, keys, log
from digigov.platform.federation import service as federation
from digigov.platform.federation.model import FederationMessage
from digigov.web.app import create_app

MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class Live:
    instance_id: str
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    url: str
    officer: Actor  # a department officer of this instance, who sends

    def public_key(self) -> Ed25519PublicKey:
        with unit_of_work(self.factory) as s:
            return federation.identity(s, self.settings).private_key.public_key()


def _store(url: str) -> tuple[Engine, sessionmaker[Session], Actor]:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        identity.seed_regions_and_departments(s, OP, kinds=["public_security"])
        dept = identity.get_department(s, "330800-public_security")
        officer = Actor(username="qz_officer", roles=frozenset({"officer"}), department_id=dept.id,
                        department_name=dept.name)
    return engine, factory, officer


@pytest.fixture(scope="module")
def pair(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Live]]:
    """zj-quzhou on SQLite and fj-nanping on the backend under test, trusting each other."""
    tmp = tmp_path_factory.mktemp("federation-pair")
    lives: list[Live] = []
    with ExitStack() as stack:
        for instance_id, kind in (("zj-quzhou", "sqlite"), ("fj-nanping", backend)):
            url, drop = fresh_database_url(kind, tmp)
            stack.callback(drop)  # type: ignore[arg-type]
            engine, factory, officer = _store(url)
            stack.callback(engine.dispose)
            settings = Settings(var_dir=tmp / instance_id, secret_key="test", database_url=url,
                                federation_max_message_bytes=MAX_BYTES, federation_timeout_seconds=60)
            base = stack.enter_context(serving(create_app(settings, session_factory=factory)))
            with unit_of_work(factory) as s:
                federation.init(s, OP, instance_id=instance_id, name=instance_id, base_url=base, settings=settings)
                anchor = federation.export_anchor(s, settings=settings)
            # the app's first request to a route near the end of its table builds every route before it
            # (FastAPI does that lazily): done here, not inside the first timed exchange
            served = httpx.get(base + federation.ANCHOR_PATH, timeout=180)
            assert served.status_code == 200 and served.json()["instance_id"] == instance_id
            (tmp / f"{instance_id}.anchor.json").write_text(json.dumps(anchor, ensure_ascii=False, indent=2))
            lives.append(Live(instance_id, settings, engine, factory, base, officer))
        for me, other in (lives, lives[::-1]):
            with unit_of_work(me.factory) as s:
                federation.import_anchor(s, OP, (tmp / f"{other.instance_id}.anchor.json").read_bytes(),
                                         settings=me.settings)
        yield lives[0], lives[1]


def _ping(sender: Live, to: str, echo: str = "你好") -> federation.Reply:
    with unit_of_work(sender.factory) as s:
        return federation.send(s, sender.officer, to, "ping", {"echo": echo}, "连通性测试", settings=sender.settings)


def _rows(live: Live, nonce: str) -> list[FederationMessage]:
    with unit_of_work(live.factory) as s:
        return list(s.scalars(select(FederationMessage).where(
            (FederationMessage.nonce == nonce) | (FederationMessage.in_reply_to == nonce))
            .order_by(FederationMessage.seq)))


def _verify(live: Live) -> log.VerifyResult:
    with unit_of_work(live.factory) as s:
        return log.verify(s, OP)


def test_a_ping_round_trip_between_two_live_instances(pair: tuple[Live, Live]) -> None:
    quzhou, nanping = pair
    reply = _ping(quzhou, "fj-nanping", "衢州呼叫南平")
    assert reply.ok and reply.status == 200 and reply.reason == ""
    assert reply.body["instance"] == "fj-nanping" and reply.body["echo"] == "衢州呼叫南平"
    assert reply.answer is not None and reply.answer.in_reply_to == reply.request.nonce
    assert reply.request.department == "330800-public_security"

    sent, got = _rows(quzhou, reply.request.nonce), _rows(nanping, reply.request.nonce)
    assert [(r.direction, r.result, r.peer) for r in sent] == [("out", "sent", "fj-nanping"),
                                                              ("in", "accepted", "fj-nanping")]
    assert [(r.direction, r.result, r.peer) for r in got] == [("in", "accepted", "zj-quzhou"),
                                                             ("out", "sent", "zj-quzhou")]
    # both sides keep the very same two envelopes
    assert (sent[0].envelope, sent[1].envelope) == (got[0].envelope, got[1].envelope)
    assert _verify(quzhou).ok and _verify(nanping).ok
    with unit_of_work(quzhou.factory) as s:
        audit = s.scalar(select(AuditRecord).where(AuditRecord.action == "federation.send")
                         .order_by(AuditRecord.seq.desc()).limit(1))
        assert audit is not None and (audit.actor, audit.result, audit.purpose) == ("qz_officer", "ok", "连通性测试")
    with unit_of_work(nanping.factory) as s:
        received = s.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "federation.receive", AuditRecord.actor == "federation:zj-quzhou"))
        assert received is not None and received >= 1

    back = _ping(nanping, "zj-quzhou")  # and the other way
    assert back.ok and back.body["instance"] == "zj-quzhou"


def test_refusals_over_http_are_signed_with_their_status(pair: tuple[Live, Live], tmp_path: Path) -> None:
    quzhou, nanping = pair
    endpoint = nanping.url + federation.MESSAGES_PATH
    nanping_key = nanping.public_key()
    with unit_of_work(quzhou.factory) as s:
        me = federation.identity(s, quzhou.settings)

    def post(data: bytes, expected: int, code: str) -> None:
        r = httpx.post(endpoint, content=data, headers={"Content-Type": "application/json"}, timeout=10)
        assert r.status_code == expected, r.text
        answer = envelope.parse(r.content)
        assert envelope.signature_ok(answer, nanping_key)
        assert (answer.kind, answer.body["error"]) == ("error", code)

    def sealed(recipient: str = "fj-nanping", purpose: str = "测试") -> envelope.Envelope:
        return envelope.seal(me.private_key, me.key_id, sender="zj-quzhou", recipient=recipient,
                             department="330800-public_security", purpose=purpose, kind="ping", body={})

    request = sealed()
    r = httpx.post(endpoint, content=request.text().encode(), timeout=10)  # no login, no token, no CSRF token
    assert r.status_code == 200 and envelope.parse(r.content).in_reply_to == request.nonce
    post(request.text().encode(), 409, "replay")
    post(b"{broken", 400, "malformed")
    post(sealed(recipient="jx-shangrao").text().encode(), 421, "wrong_recipient")
    stranger = foreign(tmp_path / "hs", "ah-huangshan").seal(recipient="fj-nanping")
    post(stranger.text().encode(), 401, "unknown_sender")
    post(sealed(purpose="x" * 10).text().encode().replace(b'"purpose":"xxxxxxxxxx"', b'"purpose":"yyyyyyyyyy"'),
         401, "bad_signature")
    post(b" " * (MAX_BYTES + 1), 413, "too_large")

    anchor = httpx.get(nanping.url + federation.ANCHOR_PATH, timeout=10)
    assert anchor.status_code == 200
    parsed = keys.read_anchor(anchor.content)
    assert (parsed.instance_id, parsed.base_url) == ("fj-nanping", nanping.url)
    assert _verify(nanping).ok


def test_a_revoked_sender_is_refused_until_trusted_again(pair: tuple[Live, Live]) -> None:
    quzhou, nanping = pair
    with unit_of_work(nanping.factory) as s:
        federation.revoke_peer(s, OP, "zj-quzhou", "演练")
    reply = _ping(quzhou, "fj-nanping")
    assert (reply.ok, reply.status, reply.reason) == (False, 401, "sender_revoked")
    with pytest.raises(federation.PeerRefused):
        reply.raise_for_error()
    assert [r.result for r in _rows(quzhou, reply.request.nonce)] == ["sent", "accepted"]  # a signed refusal
    assert [(r.result, r.reason) for r in _rows(nanping, reply.request.nonce)] == [
        ("refused", "sender_revoked"), ("sent", "sender_revoked")]
    with unit_of_work(quzhou.factory) as s:
        anchor = federation.export_anchor(s, settings=quzhou.settings)
    with unit_of_work(nanping.factory) as s:
        federation.import_anchor(s, OP, anchor, replace=True, settings=nanping.settings)
    assert _ping(quzhou, "fj-nanping").ok


def test_an_unreachable_peer_is_logged_as_failed(pair: tuple[Live, Live], tmp_path: Path) -> None:
    quzhou, _ = pair
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    gone = replace(foreign(tmp_path / "gone", "ah-huangshan"), base_url=f"http://127.0.0.1:{port}")
    with unit_of_work(quzhou.factory) as s:
        federation.import_anchor(s, OP, gone.anchor(), settings=quzhou.settings)
    reply = _ping(quzhou, "ah-huangshan")
    assert (reply.ok, reply.status, reply.reason) == (False, 0, "unreachable")
    assert [(r.direction, r.result) for r in _rows(quzhou, reply.request.nonce)] == [("out", "failed")]
    assert _verify(quzhou).ok


def test_a_tampered_row_in_one_log_is_named_by_audit_verify(pair: tuple[Live, Live],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from digigov.cli import app as cli

    quzhou, nanping = pair
    reply = _ping(quzhou, "fj-nanping")
    row = _rows(nanping, reply.request.nonce)[0]
    monkeypatch.setenv("DIGIGOV_DATABASE_URL", nanping.settings.database_url)
    monkeypatch.setenv("DIGIGOV_VAR_DIR", str(nanping.settings.var_dir))
    get_settings.cache_clear()
    try:
        intact = CliRunner().invoke(cli, ["audit", "verify"])
        assert intact.exit_code == 0, intact.output
        assert "federation message log intact" in intact.output
        with nanping.engine.begin() as conn:
            conn.execute(text("UPDATE federation_message SET department = :d WHERE seq = :s"),
                         {"d": "330800-finance", "s": row.seq})
        try:
            broken = _verify(nanping)
            assert (broken.ok, broken.first_bad_seq) == (False, row.seq)
            assert _verify(quzhou).ok  # the other side's log is untouched
            result = CliRunner().invoke(cli, ["audit", "verify"])
            assert result.exit_code == 1
            assert f"federation message log broken at seq {row.seq}" in " ".join(result.output.split())
        finally:
            with nanping.engine.begin() as conn:
                conn.execute(text("UPDATE federation_message SET department = :d WHERE seq = :s"),
                             {"d": row.department, "s": row.seq})
        assert _verify(nanping).ok
    finally:
        get_settings.cache_clear()
