"""What the message path keeps between messages (loaded Ed25519 keys, by file and by public key; the
statements it runs, built once; each envelope's canonical JSON) never outlives a decision: a revoked peer, a
rotated key and a replaced anchor hold from the very next message, on both sides, in a process whose keys
are already loaded."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.platform.federation.conftest import OP, PEER, Foreign, foreign

from digigov.core.errors import Conflict
from digigov.core.settings import Settings
from digigov.identity import service as identity_service
from digigov.identity.actor import Actor
from digigov.platform.federation import envelope, keys
from digigov.platform.federation import service as federation
from digigov.platform.federation.envelope import Envelope
from digigov.platform.federation.model import FederationMessage


def _deliver(session: Session, settings: Settings, message: Envelope) -> tuple[int, Envelope]:
    status, answer = federation.receive(session, message.text().encode(), settings=settings)
    return status, envelope.parse(answer)


def _reason(answer: Envelope) -> str:
    return str(answer.body.get("error", ""))


def test_a_revoked_peer_is_refused_on_the_very_next_message(session: Session, peer: Foreign,
                                                             fed_settings: Settings) -> None:
    assert _deliver(session, fed_settings, peer.seal())[0] == 200  # its key is now loaded in this process
    federation.revoke_peer(session, OP, PEER, "测试吊销 revoked in a test")
    status, answer = _deliver(session, fed_settings, peer.seal())
    assert (status, _reason(answer)) == (401, "sender_revoked")
    federation.import_anchor(session, OP, peer.anchor(), replace=True, settings=fed_settings)
    assert _deliver(session, fed_settings, peer.seal())[0] == 200  # trusted again, at once


def test_a_replaced_anchor_with_a_new_key_holds_on_the_very_next_message(session: Session, peer: Foreign,
                                                                         fed_settings: Settings,
                                                                         tmp_path: Path) -> None:
    assert _deliver(session, fed_settings, peer.seal())[0] == 200
    rotated = foreign(tmp_path / "nanping-new-key")  # the peer rotated its key: same id, a new key
    assert rotated.instance_id == peer.instance_id and rotated.key_id != peer.key_id
    status, answer = _deliver(session, fed_settings, rotated.seal())
    assert (status, _reason(answer)) == (401, "unknown_key")  # not trusted before its new anchor is imported
    old = keys.AnchorKey(peer.key_id, keys.public_b64(peer.private_key.public_key()), "retired")
    federation.import_anchor(session, OP, rotated.anchor(extra_keys=(old,)), replace=True, settings=fed_settings)
    assert _deliver(session, fed_settings, rotated.seal())[0] == 200
    status, answer = _deliver(session, fed_settings, peer.seal())  # the old key, loaded a moment ago, is retired
    assert (status, _reason(answer)) == (401, "unknown_key")


def test_this_instances_rotated_key_signs_the_very_next_answer(session: Session, here: federation.Identity,
                                                               peer: Foreign, fed_settings: Settings) -> None:
    status, answer = _deliver(session, fed_settings, peer.seal())
    assert status == 200 and answer.sender_key == here.key_id
    new = federation.rotate_key(session, OP, settings=fed_settings)
    status, answer = _deliver(session, fed_settings, peer.seal())
    assert status == 200 and answer.sender_key == new.key_id != here.key_id
    assert envelope.signature_ok(answer, keys.load_public(new.public_key))
    assert not envelope.signature_ok(answer, here.private_key.public_key())


def test_a_revoked_or_replaced_peer_holds_on_the_very_next_send(session: Session, peer: Foreign,
                                                                fed_settings: Settings) -> None:
    closed = socket.socket()  # a local port nothing listens on: each send fails fast as unreachable
    closed.bind(("127.0.0.1", 0))
    peer = replace(peer, base_url=f"http://127.0.0.1:{closed.getsockname()[1]}")
    federation.import_anchor(session, OP, peer.anchor(), settings=fed_settings)
    identity_service.seed_regions_and_departments(session, OP, kinds=["public_security"])
    dept = identity_service.get_department(session, "330800-public_security")
    officer = Actor(username="officer_fresh", roles=frozenset({"officer"}), department_id=dept.id,
                    department_name=dept.name)
    reply = federation.send(session, officer, PEER, "ping", {"echo": "x"}, "测试 test", settings=fed_settings)
    assert reply.reason == "unreachable"  # sent and logged, no answer
    federation.revoke_peer(session, OP, PEER)
    with pytest.raises(Conflict):
        federation.send(session, officer, PEER, "ping", {"echo": "x"}, "测试 test", settings=fed_settings)
    federation.import_anchor(session, OP, peer.anchor(), replace=True, settings=fed_settings)
    again = federation.send(session, officer, PEER, "ping", {"echo": "x"}, "测试 test", settings=fed_settings)
    assert again.reason == "unreachable" and again.request.sender_key == reply.request.sender_key
    closed.close()


def test_the_logged_and_sent_text_is_the_canonical_json_of_the_envelope(session: Session, peer: Foreign,
                                                                        fed_settings: Settings) -> None:
    body = {"z": [1, 2.5, None, True], "a": {"名": "衢州 \u2028 \"引号\" \\"}, "m": ""}
    request = peer.seal(body)
    assert request.text() == envelope.canonical(request.as_dict()).decode()
    reparsed = envelope.parse(json.dumps(request.as_dict(), indent=2, ensure_ascii=True))  # not canonical on the wire
    assert reparsed == request and reparsed.text() == request.text()
    status, answer = federation.receive(session, request.text().encode(), settings=fed_settings)
    assert status == 200
    rows = session.scalars(select(FederationMessage).order_by(FederationMessage.seq.desc()).limit(2)).all()
    assert rows[1].envelope == request.text()
    assert rows[0].envelope == envelope.canonical(answer).decode()
