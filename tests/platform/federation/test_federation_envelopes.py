"""Receiving envelopes: a good one is answered by its kind's handler; a forged, altered, replayed, stale,
misdirected or foreign one is refused with its reason code and HTTP status, answered with a signed error
envelope, logged as refused and audited as denied."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.platform.federation.conftest import HERE, OP, PEER, Foreign, foreign

from digigov.audit.model import AuditRecord
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict
from digigov.core.settings import Settings
from digigov.platform.federation import envelope, keys, log
from digigov.platform.federation import service as federation
from digigov.platform.federation.envelope import Envelope
from digigov.platform.federation.model import FederationMessage, FederationNonce

Deliver = Callable[..., tuple[int, Envelope]]


@pytest.fixture
def deliver(session: Session, here: federation.Identity, fed_settings: Settings) -> Deliver:
    """Hand raw bytes (or an envelope) to `receive`; the answer must be an envelope signed by this instance."""

    def run(message: Envelope | bytes | dict[str, Any] | None,
            settings: Settings = fed_settings) -> tuple[int, Envelope]:
        raw = message.text().encode() if isinstance(message, Envelope) else (
            json.dumps(message).encode() if isinstance(message, dict) else message)
        status, answer = federation.receive(session, raw, settings=settings)
        parsed = envelope.parse(answer)
        assert envelope.signature_ok(parsed, here.private_key.public_key())
        envelope.check_body(parsed)
        assert (parsed.sender, parsed.sender_key) == (HERE, here.key_id)
        return status, parsed

    return run


def _last_in(session: Session) -> FederationMessage:
    row = session.scalar(select(FederationMessage).where(FederationMessage.direction == "in")
                         .order_by(FederationMessage.seq.desc()).limit(1))
    assert row is not None
    return row


def _refused(session: Session, status: int, answer: Envelope, code: str, expected_status: int,
             request: Envelope | None) -> None:
    """The refusal is what it should be everywhere: status, signed error answer, log rows, audit record."""
    assert (status, answer.kind, answer.body["error"]) == (expected_status, "error", code)
    assert answer.in_reply_to == (request.nonce if request else "")
    assert answer.recipient == (request.sender if request else "")
    row = _last_in(session)
    assert (row.result, row.reason, row.status) == ("refused", code, expected_status)
    assert (row.nonce, row.peer) == ((request.nonce, request.sender) if request else ("", ""))
    out = session.get(FederationMessage, row.seq + 1)
    assert out is not None and (out.direction, out.result, out.nonce) == ("out", "sent", answer.nonce)
    audit = session.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))
    assert audit is not None
    assert (audit.action, audit.result, audit.object_id) == ("federation.receive", "denied", str(row.seq))
    assert json.loads(audit.detail)["reason"] == code
    assert log.verify(session, OP).ok


def test_a_good_ping_is_answered_logged_and_audited(session: Session, peer: Foreign, deliver: Deliver) -> None:
    request = peer.seal({"echo": "衢州你好"})
    status, answer = deliver(request)
    assert status == 200 and answer.kind == "ping"
    assert (answer.recipient, answer.in_reply_to, answer.purpose) == (PEER, request.nonce, request.purpose)
    assert answer.body["instance"] == HERE and answer.body["echo"] == "衢州你好"
    assert abs(utcnow() - datetime.fromisoformat(answer.body["time"])) < timedelta(minutes=1)
    rows = session.scalars(select(FederationMessage).order_by(FederationMessage.seq)).all()
    assert [(r.direction, r.result, r.peer, r.kind, r.nonce) for r in rows] == [
        ("in", "accepted", PEER, "ping", request.nonce), ("out", "sent", PEER, "ping", answer.nonce)]
    assert rows[0].envelope == request.text() and rows[0].department == "350700-public_security"
    assert json.loads(rows[1].envelope)["signature"] == answer.signature
    audit = session.scalar(select(AuditRecord).where(AuditRecord.action == "federation.receive"))
    assert audit is not None and (audit.actor, audit.actor_department, audit.result, audit.purpose) == (
        f"federation:{PEER}", "350700-public_security", "ok", request.purpose)
    assert session.get(FederationNonce, (PEER, request.nonce)) is not None


def test_a_forged_signature_is_refused(session: Session, peer: Foreign, deliver: Deliver, tmp_path: Path) -> None:
    forger = foreign(tmp_path / "forger")
    forged = Foreign(PEER, peer.key_id, forger.private_key).seal()  # claims the peer's key, signs with another
    _refused(session, *deliver(forged), "bad_signature", 401, forged)
    garbage = Envelope(forged.header, forged.body, base64.b64encode(b"\x00" * 64).decode())
    _refused(session, *deliver(garbage), "bad_signature", 401, garbage)


def test_an_altered_body_is_refused(session: Session, peer: Foreign, deliver: Deliver) -> None:
    sealed = peer.seal({"echo": "原文", "amount": 100})
    altered = Envelope(sealed.header, {**sealed.body, "amount": 1000}, sealed.signature)
    _refused(session, *deliver(altered), "body_hash_mismatch", 401, altered)


@pytest.mark.parametrize(("field", "value"), [("purpose", "另一个用途"), ("department", "350700-finance"),
                                              ("kind", "case.forward"), ("body_sha256", "0" * 64)])
def test_an_altered_header_is_refused(session: Session, peer: Foreign, deliver: Deliver, field: str,
                                      value: str) -> None:
    sealed = peer.seal()
    altered = Envelope({**sealed.header, field: value}, sealed.body, sealed.signature)
    _refused(session, *deliver(altered), "bad_signature", 401, altered)


def test_an_unknown_sender_is_refused(session: Session, peer: Foreign, deliver: Deliver, tmp_path: Path) -> None:
    stranger = foreign(tmp_path / "huangshan", "ah-huangshan").seal()
    _refused(session, *deliver(stranger), "unknown_sender", 401, stranger)
    self_claimed = Foreign(HERE, peer.key_id, peer.private_key).seal()  # "from" this very instance
    _refused(session, *deliver(self_claimed), "unknown_sender", 401, self_claimed)


def test_a_revoked_peer_is_refused(session: Session, peer: Foreign, deliver: Deliver) -> None:
    assert deliver(peer.seal())[0] == 200
    federation.revoke_peer(session, OP, PEER, "test")
    request = peer.seal()
    _refused(session, *deliver(request), "sender_revoked", 401, request)


def test_a_key_not_active_for_the_sender_is_refused(session: Session, peer: Foreign, deliver: Deliver,
                                                    fed_settings: Settings, tmp_path: Path) -> None:
    rotated = Foreign(PEER, *keys.generate(tmp_path / "np2"))
    old = keys.AnchorKey(peer.key_id, keys.public_b64(peer.private_key.public_key()), "retired")
    federation.import_anchor(session, OP, rotated.anchor(extra_keys=(old,)), replace=True, settings=fed_settings)
    request = peer.seal()  # signed with the key the peer retired
    _refused(session, *deliver(request), "unknown_key", 401, request)
    assert deliver(rotated.seal())[0] == 200


def test_an_expired_anchor_stops_trust(session: Session, peer: Foreign, deliver: Deliver) -> None:
    from digigov.platform.federation.model import FederationInstance

    row = session.get(FederationInstance, PEER)
    assert row is not None
    row.valid_until = utcnow() - timedelta(seconds=1)
    session.flush()
    request = peer.seal()
    _refused(session, *deliver(request), "anchor_expired", 401, request)


def test_a_stale_or_future_timestamp_is_refused(session: Session, peer: Foreign, deliver: Deliver,
                                                fed_settings: Settings) -> None:
    old = peer.seal(now=utcnow() - timedelta(seconds=301))
    _refused(session, *deliver(old), "stale", 400, old)
    future = peer.seal(now=utcnow() + timedelta(seconds=301))
    _refused(session, *deliver(future), "stale", 400, future)
    assert deliver(peer.seal(now=utcnow() - timedelta(seconds=250)))[0] == 200
    strict = fed_settings.model_copy(update={"federation_max_skew_seconds": 5.0})
    ten_seconds = peer.seal(now=utcnow() - timedelta(seconds=10))
    _refused(session, *deliver(ten_seconds, strict), "stale", 400, ten_seconds)


def test_a_message_for_another_instance_is_refused(session: Session, peer: Foreign, deliver: Deliver) -> None:
    misdirected = peer.seal(recipient="jx-shangrao")
    _refused(session, *deliver(misdirected), "wrong_recipient", 421, misdirected)


def test_a_replayed_nonce_is_refused(session: Session, peer: Foreign, deliver: Deliver) -> None:
    request = peer.seal()
    assert deliver(request)[0] == 200
    _refused(session, *deliver(request), "replay", 409, request)
    again = peer.seal(nonce=request.nonce)  # a new signature over the same nonce is a replay too
    _refused(session, *deliver(again), "replay", 409, again)
    counts = dict(session.execute(select(FederationMessage.result, func.count()).where(
        FederationMessage.direction == "in").group_by(FederationMessage.result)).all())
    assert counts == {"accepted": 1, "refused": 2}


def test_old_nonces_are_pruned_after_twice_the_skew(session: Session, peer: Foreign, deliver: Deliver,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(federation, "_LAST_PRUNE", {})  # as in a new process: prune on the first message
    session.add_all([FederationNonce(sender=PEER, nonce="a" * 32, seen_at=utcnow() - timedelta(seconds=601)),
                     FederationNonce(sender=PEER, nonce="b" * 32, seen_at=utcnow() - timedelta(seconds=500))])
    session.flush()
    assert deliver(peer.seal())[0] == 200
    left = set(session.scalars(select(FederationNonce.nonce).where(FederationNonce.sender == PEER)))
    assert "a" * 32 not in left and "b" * 32 in left and len(left) == 2
    session.add(FederationNonce(sender=PEER, nonce="c" * 32, seen_at=utcnow() - timedelta(seconds=700)))
    session.flush()
    assert deliver(peer.seal())[0] == 200  # within a tenth of the window: not pruned again yet
    assert session.get(FederationNonce, (PEER, "c" * 32)) is not None


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"header": {}, "body": {}, "signature": ""}', b"NaN", b""])
def test_malformed_messages_are_refused(session: Session, peer: Foreign, deliver: Deliver, raw: bytes) -> None:
    _refused(session, *deliver(raw), "malformed", 400, None)
    assert _last_in(session).envelope == raw.decode()


@pytest.mark.parametrize("change", ["extra_field", "version", "bad_nonce", "no_zone", "body_list", "nan_body"])
def test_malformed_envelopes_are_refused(session: Session, peer: Foreign, deliver: Deliver, change: str) -> None:
    data = peer.seal().as_dict()
    header = data["header"]
    if change == "extra_field":
        header["priority"] = "high"
    elif change == "version":
        header["version"] = True
    elif change == "bad_nonce":
        header["nonce"] = "short"
    elif change == "no_zone":
        header["timestamp"] = "2026-11-28T10:00:00"
    elif change == "body_list":
        data["body"] = ["a"]
    if change == "nan_body":
        data["body"] = {"x": float("nan")}  # json.dumps writes NaN, which is not JSON
    status, answer = deliver(json.dumps(data).encode())
    assert (status, answer.body["error"]) == (400, "malformed")
    assert _last_in(session).result == "refused"


def test_an_oversized_message_is_refused(session: Session, peer: Foreign, deliver: Deliver,
                                         fed_settings: Settings) -> None:
    small = fed_settings.model_copy(update={"federation_max_message_bytes": 400})
    status, answer = deliver(peer.seal({"echo": "长" * 300}), small)
    assert (status, answer.body["error"]) == (413, "too_large")
    status, answer = deliver(None)  # the route stopped reading
    assert (status, answer.body["error"]) == (413, "too_large")


def test_an_unknown_kind_is_refused_after_the_checks(session: Session, peer: Foreign, deliver: Deliver) -> None:
    request = peer.seal(kind="sharing.nothing")
    _refused(session, *deliver(request), "unknown_kind", 400, request)
    assert session.get(FederationNonce, (PEER, request.nonce)) is not None  # a valid message: its nonce is spent


def test_a_handler_refusal_is_a_signed_error_and_its_writes_are_undone(
        session: Session, peer: Foreign, deliver: Deliver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(federation, "_HANDLERS", dict(federation._HANDLERS))
    seen: list[federation.Inbound] = []

    @federation.handler("test.refuse")
    def refuse(message: federation.Inbound) -> dict[str, Any]:
        seen.append(message)
        message.session.add(FederationNonce(sender="test", nonce="written-by-handler", seen_at=utcnow()))
        message.session.flush()
        raise Conflict("no grant covers this query", key="no_grant")

    @federation.handler("test.echo")
    def echo(message: federation.Inbound) -> dict[str, Any]:
        return {"department": message.department, "purpose": message.purpose, "actor": message.actor.username}

    with pytest.raises(ValueError):
        federation.register("test.echo", lambda m: {})  # one handler per kind
    with pytest.raises(ValueError):
        federation.register("error", echo)
    assert {"ping", "test.refuse", "test.echo"} <= set(federation.kinds())

    request = peer.seal(kind="test.refuse")
    status, answer = deliver(request)
    assert (status, answer.kind, answer.body["error"], answer.in_reply_to) == (409, "error", "conflict",
                                                                                request.nonce)
    assert seen[0].sender == PEER and seen[0].recipient == HERE
    assert session.get(FederationNonce, ("test", "written-by-handler")) is None
    assert session.get(FederationNonce, (PEER, request.nonce)) is not None
    row = _last_in(session)
    assert (row.result, row.reason, row.status) == ("accepted", "conflict", 409)
    audit = session.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))
    assert audit is not None and (audit.action, audit.result) == ("federation.receive", "failed")

    status, answer = deliver(peer.seal(kind="test.echo"))
    assert status == 200 and answer.body == {"department": "350700-public_security",
                                             "purpose": "跨省通办材料核验 cross-province check",
                                             "actor": f"federation:{PEER}"}


def test_receiving_without_an_identity_is_a_conflict(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Conflict):
        federation.receive(session, b"{}", settings=Settings(var_dir=tmp_path))
