"""This instance's identity and key file, trust anchors (export, import, self-signature, validity, a changed
key, revocation), key rotation, and the message log's own verification (chain and signatures)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session
from tests.platform.federation.conftest import HERE, OP, PEER, Foreign, foreign

from digigov.audit.model import AuditRecord
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.settings import Settings
from digigov.identity.actor import Actor
from digigov.platform.federation import envelope, keys, log
from digigov.platform.federation import service as federation
from digigov.platform.federation.model import FederationInstance, FederationKey, FederationMessage


def _actions(session: Session, prefix: str) -> list[str]:
    return list(session.scalars(select(AuditRecord.action).where(AuditRecord.action.startswith(prefix))
                                .order_by(AuditRecord.seq)))


def test_init_makes_a_key_file_only_its_owner_reads(session: Session, here: federation.Identity,
                                                     fed_settings: Settings) -> None:
    path = keys.key_path(federation.key_dir(fed_settings), here.key_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert keys.key_id_of(here.private_key.public_key()) == here.key_id and len(here.key_id) == 16
    row = session.get(FederationKey, (HERE, here.key_id))
    assert row is not None and row.status == "active"
    assert keys.load_public(row.public_key).public_bytes_raw() == here.private_key.public_key().public_bytes_raw()
    assert (here.instance_id, here.base_url) == (HERE, "http://quzhou.invalid")  # trailing slash dropped
    # again with the same id: a new name, the same key; another id: refused
    federation.init(session, OP, instance_id=HERE, name="衢州", base_url="https://quzhou.invalid",
                    settings=fed_settings)
    assert federation.identity(session, fed_settings).key_id == here.key_id
    with pytest.raises(Conflict):
        federation.init(session, OP, instance_id="zj-lishui", name="丽水", base_url="http://x.invalid",
                        settings=fed_settings)
    assert _actions(session, "federation.init") == ["federation.init", "federation.init"]


@pytest.mark.parametrize(("instance_id", "url"), [("ZJ Quzhou", "http://x.invalid"), ("zj-quzhou", "ftp://x"),
                                                   ("-bad", "http://x.invalid"), ("", "http://x.invalid")])
def test_init_refuses_bad_ids_and_urls(session: Session, fed_settings: Settings, instance_id: str, url: str) -> None:
    with pytest.raises(InvalidInput):
        federation.init(session, OP, instance_id=instance_id, name="x", base_url=url, settings=fed_settings)


def test_only_platform_admins_manage_federation(session: Session, actor_of: Callable[[str], Actor],
                                                fed_settings: Settings, tmp_path: Path) -> None:
    officer = actor_of("hz_civil_officer")
    with pytest.raises(PermissionDenied):
        federation.init(session, officer, instance_id=HERE, name="x", base_url="http://x.invalid",
                        settings=fed_settings)
    with pytest.raises(PermissionDenied):
        federation.import_anchor(session, officer, foreign(tmp_path).anchor(), settings=fed_settings)
    with pytest.raises(PermissionDenied):
        federation.list_peers(session, officer)
    assert federation.list_peers(session, actor_of("auditor")) == []


def test_identity_is_created_on_first_use_from_the_settings(session: Session, tmp_path: Path) -> None:
    bare = Settings(var_dir=tmp_path / "bare")
    with pytest.raises(Conflict) as err:
        federation.identity(session, bare)
    assert err.value.key == "federation_not_initialised"
    seeded = Settings(var_dir=tmp_path / "seeded", federation_instance_id="zj-lishui", federation_name="丽水",
                      federation_base_url="http://lishui.invalid")
    me = federation.identity(session, seeded)
    assert (me.instance_id, me.name) == ("zj-lishui", "丽水")
    assert keys.key_path(federation.key_dir(seeded), me.key_id).exists()
    assert federation.identity(session, seeded).key_id == me.key_id  # created once
    actor = session.scalar(select(AuditRecord.actor).where(AuditRecord.action == "federation.init"))
    assert actor == "system:federation"


def test_a_missing_key_file_is_reported(session: Session, here: federation.Identity, tmp_path: Path) -> None:
    elsewhere = Settings(var_dir=tmp_path / "other-var")
    with pytest.raises(Conflict) as err:
        federation.identity(session, elsewhere)
    assert err.value.key == "federation_key_missing" and here.key_id in err.value.message


def test_anchor_export_and_import_between_two_stores(session: Session, here: federation.Identity,
                                                    fed_settings: Settings, tmp_path: Path) -> None:
    anchor = federation.export_anchor(session, settings=fed_settings, valid_days=10)
    parsed = keys.read_anchor(json.dumps(anchor, ensure_ascii=False, indent=2).encode("utf-8"))  # pretty-printed
    assert (parsed.instance_id, parsed.active_key.key_id, parsed.base_url) == (HERE, here.key_id,
                                                                               "http://quzhou.invalid")
    assert timedelta(days=9) < parsed.valid_until - parsed.valid_from <= timedelta(days=10)
    with pytest.raises(Conflict) as own:
        federation.import_anchor(session, OP, anchor, settings=fed_settings)
    assert own.value.key == "federation_own_anchor"

    other = foreign(tmp_path / "np")
    peer = federation.import_anchor(session, OP, json.dumps(other.anchor()).encode(), settings=fed_settings)
    assert (peer.instance_id, peer.is_self, peer.revoked_at) == (PEER, False, None)
    assert [p.instance_id for p in federation.list_peers(session, OP)] == [PEER]
    assert [(k.key_id, k.status) for k in peer.keys] == [(other.key_id, "active")]
    detail = session.scalar(select(AuditRecord.detail).where(AuditRecord.action == "federation.anchor.import"))
    assert detail is not None and json.loads(detail)["active_key"] == other.key_id
    # the same key again (a refreshed anchor): no --replace needed
    federation.import_anchor(session, OP, other.anchor(valid_days=60), settings=fed_settings)


@pytest.mark.parametrize("tamper", ["name", "base_url", "key", "signature", "valid_until", "extra", "signer"])
def test_an_anchor_whose_self_signature_fails_is_refused(session: Session, here: federation.Identity,
                                                         fed_settings: Settings, tmp_path: Path, tamper: str) -> None:
    other = foreign(tmp_path / "np")
    anchor = other.anchor()
    if tamper == "name":
        anchor["name"] = "冒充的平台"
    elif tamper == "base_url":
        anchor["base_url"] = "https://attacker.invalid"
    elif tamper == "key":  # a key swapped in, its id matching, signed with the old key
        impostor = foreign(tmp_path / "evil")
        anchor["keys"][0] = {"key_id": impostor.key_id, "status": "active",
                             "public_key": keys.public_b64(impostor.private_key.public_key())}
        anchor["signature"]["key_id"] = impostor.key_id
    elif tamper == "signature":
        anchor["signature"]["value"] = anchor["signature"]["value"][:-4] + "AAA="
    elif tamper == "valid_until":
        anchor["valid_until"] = (utcnow() + timedelta(days=3650)).isoformat()
    elif tamper == "extra":
        anchor["note"] = "unsigned"
    elif tamper == "signer":  # signed by a key the anchor lists as retired
        old = foreign(tmp_path / "old")
        anchor = other.anchor(extra_keys=(keys.AnchorKey(old.key_id, keys.public_b64(old.private_key.public_key()),
                                                         "retired"),))
        anchor["signature"]["key_id"] = old.key_id
    with pytest.raises(InvalidInput) as err:
        federation.import_anchor(session, OP, anchor, settings=fed_settings)
    assert err.value.key == "federation_anchor_invalid"
    assert session.get(FederationInstance, PEER) is None


def test_anchor_validity_is_checked_on_import(session: Session, here: federation.Identity, fed_settings: Settings,
                                              tmp_path: Path) -> None:
    other = foreign(tmp_path / "np")
    for anchor in (other.anchor(valid_from=utcnow() - timedelta(days=40)),  # expired ten days ago
                   other.anchor(valid_from=utcnow() + timedelta(days=1))):  # not yet valid
        with pytest.raises(Conflict) as err:
            federation.import_anchor(session, OP, anchor, settings=fed_settings)
        assert err.value.key == "federation_anchor_expired"
    with pytest.raises(InvalidInput):
        keys.read_anchor(b"{not json")


def test_a_changed_key_or_a_revoked_peer_needs_replace(session: Session, peer: Foreign, fed_settings: Settings,
                                                       tmp_path: Path) -> None:
    rotated = Foreign(PEER, *keys.generate(tmp_path / "np2"))
    old = keys.AnchorKey(peer.key_id, keys.public_b64(peer.private_key.public_key()), "retired")
    with pytest.raises(Conflict) as err:
        federation.import_anchor(session, OP, rotated.anchor(extra_keys=(old,)), settings=fed_settings)
    assert err.value.key == "federation_key_changed"
    federation.import_anchor(session, OP, rotated.anchor(extra_keys=(old,)), replace=True, settings=fed_settings)
    states = {key_id: status for key_id, status in session.execute(
        select(FederationKey.key_id, FederationKey.status).where(FederationKey.instance_id == PEER))}
    assert states == {peer.key_id: "retired", rotated.key_id: "active"}

    federation.revoke_peer(session, OP, PEER, "合作协议终止")
    revoked = session.get(FederationInstance, PEER)
    assert revoked is not None and revoked.revoked_at is not None and revoked.revoke_reason == "合作协议终止"
    with pytest.raises(Conflict):
        federation.import_anchor(session, OP, rotated.anchor(), settings=fed_settings)
    federation.import_anchor(session, OP, rotated.anchor(), replace=True, settings=fed_settings)
    assert session.get(FederationInstance, PEER).revoked_at is None  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        federation.revoke_peer(session, OP, "ah-huangshan")
    assert _actions(session, "federation.") == ["federation.init", "federation.anchor.import",
                                                "federation.anchor.import", "federation.peer.revoke",
                                                "federation.anchor.import"]


def test_rotation_keeps_old_entries_verifiable_and_drops_the_old_private_key(
        session: Session, here: federation.Identity, peer: Foreign, fed_settings: Settings) -> None:
    status, _ = federation.receive(session, peer.seal().text().encode(), settings=fed_settings)
    assert status == 200
    new = federation.rotate_key(session, OP, settings=fed_settings)
    assert new.key_id != here.key_id
    assert session.get(FederationKey, (HERE, here.key_id)).status == "retired"  # type: ignore[union-attr]
    anchor = keys.read_anchor(federation.export_anchor(session, settings=fed_settings))
    assert anchor.active_key.key_id == new.key_id and here.key_id in {k.key_id for k in anchor.keys}
    # the answer logged before the rotation was signed with the retired key and still verifies
    assert log.verify(session, OP).ok
    status, answer = federation.receive(session, peer.seal().text().encode(), settings=fed_settings)
    assert status == 200 and answer["header"]["sender_key"] == new.key_id
    # a process that loads the new key first removes the retired private key's file
    directory = federation.key_dir(fed_settings)
    keys.remove(directory, set())  # nothing named: nothing removed
    assert keys.key_files(directory) == {here.key_id, new.key_id}
    keys._PRIVATE.clear()  # as a new process
    federation.identity(session, fed_settings)
    assert keys.key_files(directory) == {new.key_id}
    assert log.verify(session, OP).ok


def test_the_log_names_a_changed_a_missing_or_a_resigned_row(session: Session, peer: Foreign,
                                                            fed_settings: Settings) -> None:
    for _ in range(3):
        federation.receive(session, peer.seal().text().encode(), settings=fed_settings)
    assert log.verify(session, OP) == log.VerifyResult(True, 6)
    first = session.scalar(select(FederationMessage.seq).order_by(FederationMessage.seq))
    assert first is not None

    def check(seq: int, reason: str) -> None:
        result = log.verify(session, OP)
        assert (result.ok, result.first_bad_seq, result.checked) == (False, seq, seq - first)
        assert reason in result.reason

    row = session.get(FederationMessage, first + 2)
    assert row is not None
    purpose = row.purpose
    session.execute(update(FederationMessage).where(FederationMessage.seq == first + 2).values(purpose="篡改"))
    check(first + 2, "content does not match its hash")
    session.execute(update(FederationMessage).where(FederationMessage.seq == first + 2).values(purpose=purpose))
    assert log.verify(session, OP).ok

    # the last envelope changed and its row's hash recomputed: the chain holds, the signature does not
    last = session.scalar(select(FederationMessage).order_by(FederationMessage.seq.desc()).limit(1))
    assert last is not None and last.direction == "out"
    changed = json.loads(last.envelope)
    changed["body"]["echo"] = "另一个回答"
    changed["header"]["body_sha256"] = envelope.body_digest(changed["body"])
    values = {f: getattr(last, f) for f in log.HASHED_FIELDS}
    values["envelope"] = envelope.canonical(changed).decode("utf-8")
    session.execute(update(FederationMessage).where(FederationMessage.seq == last.seq)
                    .values(envelope=values["envelope"], hash=log.digest(values)))
    check(last.seq, "signature does not verify")

    session.execute(text("DELETE FROM federation_message WHERE seq >= :s"), {"s": first + 2})
    assert log.verify(session, OP).ok  # a cut tail is a shorter chain: the audit log records the exchanges
    session.execute(text("DELETE FROM federation_message WHERE seq = :s"), {"s": first})
    check(first, "missing")


def test_verifying_the_log_is_for_auditors_and_admins(session: Session, actor_of: Callable[[str], Actor]) -> None:
    with pytest.raises(PermissionDenied):
        log.verify(session, actor_of("hz_civil_officer"))
    assert log.verify(session, actor_of("auditor")).ok
    assert log.verify(session, Actor(username="x", roles=frozenset({"platform_admin"}))).ok


def test_this_instance_cannot_take_a_peers_id(session: Session, fed_settings: Settings, tmp_path: Path) -> None:
    federation.import_anchor(session, OP, foreign(tmp_path / "np").anchor(), settings=fed_settings)  # before init
    with pytest.raises(Conflict) as err:
        federation.init(session, OP, instance_id=PEER, name="x", base_url="http://x.invalid", settings=fed_settings)
    assert err.value.key == "federation_id_taken"
