"""Federation use cases: this instance's identity, the peers it trusts, and signed exchanges with them.

- `init` gives this instance its identity (id, name, base URL) and an Ed25519 key; `rotate_key` replaces the
  key, keeping the old public key for the log. With `federation_instance_id` set, `identity` creates it on
  first use instead. (They live in instance.py and are re-exported here.)
- `export_anchor` / `import_anchor` / `revoke_peer` / `list_peers`: the trust anchors (an admin's decision,
  audited; a changed key or a revoked peer needs `replace=True`).
- `receive` verifies one incoming envelope (known, unrevoked sender with an active key; signature; body
  hash; recipient; freshness; a nonce not seen in the window), dispatches it by kind to the handler
  registered with `handler(kind)`, and returns the signed answer (a signed `error` envelope with the reason
  code and its HTTP status when refused). `send` signs a request, POSTs it to the peer, verifies the answer
  and returns it as a `Reply`. Both log every envelope, in and out, and write one audit record per exchange.

Handlers: `@handler("kind")` on `fn(message: Inbound) -> dict` (JSON values only). The handler runs in a
savepoint of the receiving transaction; a `DigigovError` it raises rolls its writes back and becomes a signed
error answer with the error's code and HTTP status. `ping` ships here; other kinds register themselves
where they live (importing that module registers them).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Table, and_, bindparam, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import digigov
from digigov.audit.service import record
from digigov.core.clock import iso, utcnow
from digigov.core.errors import Conflict, DigigovError, InvalidInput, NotFound
from digigov.core.i18n import register as register_messages
from digigov.core.settings import Settings, get_settings
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.identity.permissions import require
from digigov.platform.catalog import validate
from digigov.platform.federation import envelope, keys
from digigov.platform.federation.envelope import ERROR_KIND, Envelope, Refusal
from digigov.platform.federation.instance import (
    INSTANCE_TABLE,
    KEY_TABLE,
    MAX_NAME,
    MAX_URL,
    Identity,
    identity,
    identity_of,
    init,
    key_dir,
    rotate_key,
    self_instance,
)
from digigov.platform.federation.log import Entry, append
from digigov.platform.federation.model import FederationInstance, FederationKey, FederationNonce

_NONCE = cast(Table, FederationNonce.__table__)
_LAST_PRUNE: dict[str, float] = {}  # store URL -> time.monotonic() of the last nonce pruning
__all__ = ["ANCHOR_PATH", "MESSAGES_PATH", "Identity", "Inbound", "PeerRefused", "Reply", "export_anchor", "handler",
           "identity", "import_anchor", "init", "key_dir", "kinds", "list_peers", "ping", "receive", "receive_sealed",
           "register",
           "revoke_peer", "rotate_key", "self_instance", "send"]

MESSAGES_PATH = "/federation/v1/messages"
ANCHOR_PATH = "/federation/v1/anchor"

register_messages({
    "error.federation_own_anchor": ("这是本实例自己的信任锚", "This is this instance's own trust anchor"),
    "error.federation_anchor_expired": ("信任锚不在有效期内（{valid_from} 至 {valid_until}）",
                                        "The trust anchor is outside its validity ({valid_from} to {valid_until})"),
    "error.federation_key_changed": ("{instance} 的密钥与已信任的不同，或该实例已被吊销：核实后用 --replace 导入",
                                     "The key of {instance} differs from the trusted one, or it was revoked: "
                                     "check, then import with --replace"),
    "error.federation_peer_unknown": ("没有受信任的实例 {instance}", "No trusted instance {instance}"),
    "error.federation_peer_untrusted": ("实例 {instance} 已被吊销或其信任锚已过期",
                                        "Instance {instance} is revoked or its trust anchor has expired"),
    "error.federation_department_required": ("发送跨域消息须以所在部门的名义", "A cross-instance message is sent "
                                             "on behalf of the sender's department"),
    "error.federation_kind": ("消息类型只能由小写字母、数字、点、下划线和连字符组成", "A message kind is lower-case "
                              "letters, digits, dots, underscores and hyphens"),
    "error.federation_peer_refused": ("{instance} 没有接受请求：{reason}", "{instance} did not accept the request: "
                                      "{reason}"),
})


class PeerRefused(DigigovError):
    """A peer refused a request, answered with an error, or could not be reached."""

    code = "peer_refused"
    http_status = 502


# ---------------------------------------------------------------- trust anchors and peers


def export_anchor(session: Session, *, settings: Settings | None = None,
                  valid_days: int | None = None) -> dict[str, Any]:
    """This instance's trust anchor, signed now, valid for `valid_days` (the setting by default)."""
    settings = settings or get_settings()
    me = identity(session, settings)
    row = session.get(FederationInstance, me.instance_id)
    assert row is not None
    now = utcnow()
    return keys.sign_anchor(
        me.private_key, me.key_id, instance_id=me.instance_id, name=me.name, base_url=me.base_url,
        keys=[keys.AnchorKey(k.key_id, k.public_key, k.status) for k in row.keys], valid_from=now,
        valid_until=now + timedelta(days=valid_days or settings.federation_anchor_valid_days), issued_at=now)


def import_anchor(session: Session, actor: Actor, data: bytes | dict[str, Any], *, replace: bool = False,
                  settings: Settings | None = None) -> FederationInstance:
    """Trust the instance a verified anchor names. A known instance whose active key changed, or that was
    revoked, needs `replace=True`; the keys it had stay (retired) for the log."""
    require(actor, "federation.manage")
    settings = settings or get_settings()
    anchor = keys.read_anchor(data)
    now = utcnow()
    skew = timedelta(seconds=settings.federation_max_skew_seconds)
    if not anchor.valid_from - skew <= now < anchor.valid_until:
        raise Conflict("the anchor is outside its validity", key="federation_anchor_expired",
                       valid_from=iso(anchor.valid_from)[:19], valid_until=iso(anchor.valid_until)[:19])
    me = self_instance(session)
    peer = session.get(FederationInstance, anchor.instance_id)
    if (me is not None and me.instance_id == anchor.instance_id) or (peer is not None and peer.is_self):
        raise Conflict("this is this instance's own anchor", key="federation_own_anchor")
    replaced = False
    if peer is None:
        peer = FederationInstance(instance_id=anchor.instance_id, is_self=False)
        session.add(peer)
    else:
        current = next((k.key_id for k in peer.keys if k.status == "active"), None)
        if peer.revoked_at is not None or current != anchor.active_key.key_id:
            if not replace:
                raise Conflict(f"the key of {peer.instance_id} changed or it was revoked; check, then import "
                               "again with --replace",
                               key="federation_key_changed", instance=peer.instance_id)
            replaced = True
    peer.name, peer.base_url = anchor.name[:MAX_NAME], anchor.base_url.rstrip("/")[:MAX_URL]
    peer.valid_from, peer.valid_until, peer.anchor_sha256 = anchor.valid_from, anchor.valid_until, anchor.sha256
    peer.trusted_at, peer.trusted_by = now, actor.username[:80]
    peer.revoked_at, peer.revoked_by, peer.revoke_reason = None, "", ""
    known = {k.key_id: k for k in peer.keys}
    listed = {k.key_id: k for k in anchor.keys}
    for key_id, k in listed.items():
        row = known.get(key_id)
        if row is None:
            row = FederationKey(key_id=key_id, public_key=k.public_key, added_at=now)
            peer.keys.append(row)
        row.status, row.retired_at = k.status, (now if k.status == "retired" else None)
    for key_id, row in known.items():
        if key_id not in listed and row.status == "active":
            row.status, row.retired_at = "retired", now
    session.flush()
    record(session, actor, "federation.anchor.import", "federation_instance", anchor.instance_id,
           detail={"anchor_sha256": anchor.sha256, "base_url": peer.base_url, "active_key": anchor.active_key.key_id,
                   "keys": sorted(listed), "replaced": replaced, "valid_until": iso(anchor.valid_until)})
    return peer


def list_peers(session: Session, actor: Actor) -> list[FederationInstance]:
    require(actor, "federation.view")
    return list(session.scalars(select(FederationInstance).where(FederationInstance.is_self.is_(False))
                                .order_by(FederationInstance.instance_id)))


def _peer(session: Session, peer_id: str) -> FederationInstance:
    peer = session.get(FederationInstance, peer_id) if isinstance(peer_id, str) else None
    if peer is None or peer.is_self:
        raise NotFound(f"no trusted instance {str(peer_id)[:64]}", key="federation_peer_unknown",
                       instance=str(peer_id)[:64])
    return peer


def revoke_peer(session: Session, actor: Actor, peer_id: str, reason: str = "") -> FederationInstance:
    """Stop trusting a peer: its next message is refused (401). Its keys stay for the log."""
    require(actor, "federation.manage")
    reason = validate.text(reason, "reason", max_len=500)
    peer = _peer(session, peer_id)
    if peer.revoked_at is None:
        peer.revoked_at, peer.revoked_by, peer.revoke_reason = utcnow(), actor.username[:80], reason
        session.flush()  # the message path reads the store with Core statements, which do not autoflush
        record(session, actor, "federation.peer.revoke", "federation_instance", peer.instance_id,
               detail={"reason": reason})
    return peer


def _trusted(peer_revoked: datetime | None, valid_from: datetime | None, valid_until: datetime | None,
             now: datetime) -> str:
    """Why a peer is not trusted now ("" when it is)."""
    if peer_revoked is not None:
        return "sender_revoked"
    if (valid_from is not None and now < valid_from) or (valid_until is not None and now >= valid_until):
        return "anchor_expired"
    return ""


_I, _K, _D = INSTANCE_TABLE.c, KEY_TABLE.c, cast(Table, Department.__table__).c
_PARTY = (_I.instance_id, _I.is_self, _I.name, _I.base_url, _I.revoked_at, _I.valid_from, _I.valid_until,
          _K.key_id, _K.public_key, _K.status)
# The statements of the message path, built once. Each message reads this instance (its active key) and the
# other party (its key or keys) in one statement, afresh: a revocation, a rotation or a replaced anchor
# committed by anyone (the CLI included) holds from the very next message.
_RECEIVER_READ = (  # this instance with its active key; the sender with the key the envelope names
    select(*_PARTY)
    .outerjoin(KEY_TABLE, and_(_K.instance_id == _I.instance_id,
                               or_(and_(_I.is_self.is_(True), _K.status == "active"),
                                   and_(_I.is_self.is_(False), _K.key_id == bindparam("key_id")))))
    .where(or_(_I.is_self.is_(True), _I.instance_id == bindparam("sender"))))
_SENDER_READ = (  # this instance and the peer, each with its active key(s); the sender's department code
    select(*_PARTY, select(_D.code).where(_D.id == bindparam("department_id")).scalar_subquery().label("department"))
    .outerjoin(KEY_TABLE, and_(_K.instance_id == _I.instance_id, _K.status == "active"))
    .where(or_(_I.is_self.is_(True), _I.instance_id == bindparam("peer"))))
_PRUNE_NONCES = delete(_NONCE).where(_NONCE.c.seen_at < bindparam("before"))
_CLAIM_NONCE = {name: dialect.insert(_NONCE).on_conflict_do_nothing().returning(_NONCE.c.nonce)
                for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


def _me(session: Session, settings: Settings, rows: Sequence[Any]) -> Identity:
    """This instance's Identity from the rows of a read above (created on first use, or Conflict, as
    `identity` does when they hold no self row with an active key)."""
    row = next((r for r in rows if r.is_self and r.key_id is not None), None)
    if row is None:
        return identity(session, settings)
    return identity_of(session, settings, row.instance_id, row.name, row.base_url, row.key_id)


def _sender_key(row: Any, sender: str, key_id: str, now: datetime) -> Ed25519PublicKey:
    """The key `key_id` of the sender's row (from _RECEIVER_READ), if the sender is trusted now and the key
    is an active one of its; Refusal naming why not."""
    if row is None or row.is_self:
        raise Refusal("unknown_sender", f"{sender} is not a trusted instance here")
    why = _trusted(row.revoked_at, row.valid_from, row.valid_until, now)
    if why:
        raise Refusal(why, f"{sender} is revoked or its trust anchor is not valid now")
    if row.public_key is None or row.status != "active":
        raise Refusal("unknown_key", f"{key_id} is not an active key of {sender}")
    return keys.load_public(row.public_key)


def _authenticate(env: Envelope, public_key: Ed25519PublicKey) -> None:
    """Signature (by the sender's active key, found by the caller) and body hash right; Refusal otherwise."""
    if not envelope.signature_ok(env, public_key):
        raise Refusal("bad_signature", "the signature does not verify with the sender's key")
    envelope.check_body(env)


# ---------------------------------------------------------------- handlers


@dataclass(frozen=True)
class Inbound:
    """An accepted message, as its handler sees it."""

    session: Session
    settings: Settings
    actor: Actor  # the remote sender as the audit log names it: federation:<instance>
    sender: str
    department: str
    purpose: str
    kind: str
    nonce: str
    recipient: str  # this instance
    body: dict[str, Any]


Handler = Callable[[Inbound], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}


def register(kind: str, fn: Handler) -> Handler:
    """Make `fn` answer messages of `kind`; one handler per kind."""
    if not envelope.KIND.match(kind) or kind == ERROR_KIND:
        raise ValueError(f"bad message kind {kind!r}")
    existing = _HANDLERS.get(kind)
    if existing is not None and (existing.__module__, existing.__qualname__) != (fn.__module__, fn.__qualname__):
        raise ValueError(f"kind {kind!r} already has a handler: {existing.__module__}.{existing.__qualname__}")
    _HANDLERS[kind] = fn
    return fn


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Decorator: `@handler("sharing.query") def answer(message: Inbound) -> dict: ...`."""
    return lambda fn: register(kind, fn)


def kinds() -> list[str]:
    return sorted(_HANDLERS)


@handler("ping")
def ping(message: Inbound) -> dict[str, Any]:
    """The round trip anyone can try: this instance's id and clock, and the `echo` text sent."""
    echo = message.body.get("echo", "")
    return {"instance": message.recipient, "time": iso(utcnow()), "echo": echo[:1000] if isinstance(echo, str) else ""}


# ---------------------------------------------------------------- receiving


def _remote_actor(env: Envelope | None) -> Actor:
    if env is None:
        return Actor(username="federation:unknown", via="federation")
    return Actor(username=f"federation:{env.sender}", department_name=env.department, via="federation")


def _answer(me: Identity, request: Envelope | None, kind: str, body: dict[str, Any]) -> Envelope:
    return envelope.seal(me.private_key, me.key_id, sender=me.instance_id,
                         recipient=request.sender if request else "", department="",
                         purpose=request.purpose if request else "", kind=kind, body=body,
                         in_reply_to=request.nonce if request else "")


def _claim_nonce(session: Session, env: Envelope, now: datetime, settings: Settings) -> None:
    """Remember the nonce for twice the skew (a later replay is stale anyway); Refusal("replay") if seen.
    Nonces older than that are deleted, at most once per tenth of that window per store and process."""
    conn = session.connection()
    window = 2 * settings.federation_max_skew_seconds
    store = conn.engine.url.render_as_string()
    if time.monotonic() - _LAST_PRUNE.get(store, -math.inf) >= window / 10:
        conn.execute(_PRUNE_NONCES, {"before": now - timedelta(seconds=window)})
        _LAST_PRUNE[store] = time.monotonic()
    claimed = conn.execute(_CLAIM_NONCE["postgresql" if conn.dialect.name == "postgresql" else "sqlite"],
                           {"sender": env.sender, "nonce": env.nonce, "seen_at": now}).first()
    if claimed is None:
        raise Refusal("replay", f"the nonce {env.nonce} of {env.sender} was seen before")


def _dispatch(fn: Handler, message: Inbound) -> tuple[int, dict[str, Any], str]:
    """(HTTP status, answer body, error code) of one handler call, its writes undone if it refuses."""
    try:
        with message.session.begin_nested():
            body = fn(message)
    except DigigovError as exc:
        return exc.http_status, {"error": exc.code, "message": exc.message}, exc.code
    return 200, body, ""


def receive(session: Session, raw: bytes | None, *, settings: Settings | None = None) -> tuple[int, dict[str, Any]]:
    """Verify, dispatch and answer one incoming message; (HTTP status, signed answer envelope). `raw` None
    means the message was larger than the settings allow. Conflict when this instance has no identity."""
    status, answer = receive_sealed(session, raw, settings=settings)
    return status, answer.as_dict()


def receive_sealed(session: Session, raw: bytes | None, *,
                   settings: Settings | None = None) -> tuple[int, Envelope]:
    """As `receive`, the answer as an Envelope: its `text()` is the canonical JSON the log keeps, which the
    HTTP endpoint sends as it is."""
    settings = settings or get_settings()
    now = utcnow()
    env: Envelope | None = None
    unreadable: Refusal | None = None
    try:
        if raw is None or len(raw) > settings.federation_max_message_bytes:
            raise Refusal("too_large", f"the message is larger than {settings.federation_max_message_bytes} bytes")
        env = envelope.parse(raw)
    except Refusal as refused:
        unreadable = refused
    rows = session.connection().execute(_RECEIVER_READ, {"sender": env.sender if env else "",
                                                         "key_id": env.sender_key if env else ""}).all()
    me = _me(session, settings, rows)
    try:
        if unreadable is not None or env is None:
            raise unreadable or Refusal("malformed", "the message is not an envelope")
        sender = next((r for r in rows if r.instance_id == env.sender), None)
        _authenticate(env, _sender_key(sender, env.sender, env.sender_key, now))
        if env.recipient != me.instance_id:
            raise Refusal("wrong_recipient", f"this is {me.instance_id}, not {env.recipient}")
        envelope.check_fresh(env, now, settings.federation_max_skew_seconds)
        _claim_nonce(session, env, now, settings)
        fn = _HANDLERS.get(env.kind)
        if fn is None:
            raise Refusal("unknown_kind", f"{me.instance_id} has no handler for {env.kind}")
    except Refusal as refused:
        answer = _answer(me, env, ERROR_KIND, {"error": refused.code, "message": refused.message})
        incoming = (Entry.of("in", env, "refused", refused.status, refused.code) if env is not None
                    else Entry.raw("in", "", raw or b"", "refused", refused.status, refused.code))
        _log_receipt(session, env, [incoming, Entry.of("out", answer, "sent", refused.status, refused.code)],
                     refused.status, refused.code)
        return refused.status, answer
    status, body, reason = _dispatch(fn, Inbound(session, settings, _remote_actor(env), env.sender, env.department,
                                                 env.purpose, env.kind, env.nonce, me.instance_id, env.body))
    answer = _answer(me, env, env.kind if status < 400 else ERROR_KIND, body)
    _log_receipt(session, env, [Entry.of("in", env, "accepted", status, reason),
                                Entry.of("out", answer, "sent", status, reason)], status, reason)
    return status, answer


def _log_receipt(session: Session, env: Envelope | None, entries: list[Entry], status: int, reason: str) -> None:
    seqs = append(session, entries)
    result = "ok" if status < 400 else ("denied" if entries[0].result == "refused" else "failed")
    record(session, _remote_actor(env), "federation.receive", "federation_message", seqs[0],
           purpose=env.purpose if env else "", result=result,
           detail={"peer": entries[0].peer, "kind": entries[0].kind, "nonce": entries[0].nonce, "status": status,
                   "reason": reason})


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class Reply:
    """What came back from a peer. `ok`: a verified answer that is not an error; otherwise `reason` is the
    refusal or error code (the peer's, or ours when its answer did not verify, or `unreachable`)."""

    ok: bool
    status: int  # HTTP status (0: no answer)
    reason: str
    message: str
    body: dict[str, Any]
    request: Envelope
    answer: Envelope | None

    def raise_for_error(self) -> Reply:
        if not self.ok:
            raise PeerRefused(f"{self.request.recipient} did not accept the request: {self.reason} {self.message}",
                              key="federation_peer_refused", instance=self.request.recipient, reason=self.reason)
        return self


@functools.cache
def _http() -> httpx.Client:
    """One pooled HTTP client per process (keep-alive to each peer)."""
    return httpx.Client(follow_redirects=False, headers={"User-Agent": f"digigov-federation/{digigov.__version__}"})


def _department_code(session: Session, actor: Actor) -> str:
    code = None
    if actor.department_id is not None:
        code = session.connection().execute(
            select(Department.__table__.c.code).where(Department.__table__.c.id == actor.department_id)).scalar()
    if code is None:
        raise InvalidInput("the sender must belong to a department", key="federation_department_required")
    return str(code)


def send(session: Session, actor: Actor, peer_id: str, kind: str, body: dict[str, Any], purpose: str, *,
         settings: Settings | None = None) -> Reply:
    """Sign `body` as a message of `kind` from the actor's department to `peer_id`, POST it, verify the answer.

    Both envelopes are logged and the exchange audited in `session`, whatever the outcome: commit the
    session to keep them even when the reply is a refusal (`Reply.raise_for_error()` raises PeerRefused).
    The HTTP call happens before anything is written, so no lock is held while the peer answers."""
    require(actor, "federation.send")
    purpose = validate.text(purpose, "purpose", max_len=envelope.MAX_PURPOSE, required=True)
    if envelope.CONTROL.search(purpose):
        raise InvalidInput("purpose contains control characters", key="bad_characters", field="purpose")
    if not isinstance(kind, str) or not envelope.KIND.match(kind) or kind == ERROR_KIND:
        raise InvalidInput(f"bad message kind {str(kind)[:64]!r}", key="federation_kind", field="kind")
    if not isinstance(body, dict):
        raise InvalidInput("the body must be an object", key="not_text", field="body")
    if actor.department_id is None:
        raise InvalidInput("the sender must belong to a department", key="federation_department_required")
    settings = settings or get_settings()
    params = {"department_id": actor.department_id, "peer": peer_id if isinstance(peer_id, str) else ""}
    rows = session.connection().execute(_SENDER_READ, params).all()
    if not rows:  # no federation identity yet: name what is missing, in the order a sender meets it
        _department_code(session, actor)
        identity(session, settings)  # creates it from the settings, or Conflict
        rows = session.connection().execute(_SENDER_READ, params).all()
    if rows[0].department is None:
        raise InvalidInput("the sender must belong to a department", key="federation_department_required")
    department = str(rows[0].department)
    me = _me(session, settings, rows)
    peer_rows = [r for r in rows if not r.is_self and r.instance_id == peer_id]  # with its active key(s)
    peer = peer_rows[0] if peer_rows else None
    if peer is None:
        raise NotFound(f"no trusted instance {str(peer_id)[:64]}", key="federation_peer_unknown",
                       instance=str(peer_id)[:64])
    now = utcnow()
    if _trusted(peer.revoked_at, peer.valid_from, peer.valid_until, now):
        raise Conflict(f"{peer.instance_id} is not trusted now", key="federation_peer_untrusted",
                       instance=peer.instance_id)
    request = envelope.seal(me.private_key, me.key_id, sender=me.instance_id, recipient=peer.instance_id,
                            department=department, purpose=purpose, kind=kind, body=body, now=now)
    try:
        response = _http().post(peer.base_url + MESSAGES_PATH, content=request.text().encode("utf-8"),
                                headers={"Content-Type": "application/json"},
                                timeout=settings.federation_timeout_seconds)
    except httpx.HTTPError as exc:
        reply = Reply(False, 0, "unreachable", f"{peer.base_url} did not answer: {exc}", {}, request, None)
        entries = [Entry.of("out", request, "failed", 0, "unreachable")]
    else:
        active = {r.key_id: r.public_key for r in peer_rows if r.key_id is not None}
        reply, incoming = _read_answer(response, request, me, active, settings)
        entries = [Entry.of("out", request, "sent", response.status_code, reply.reason), incoming]
    seqs = append(session, entries)
    record(session, actor, "federation.send", "federation_message", seqs[0], purpose=purpose,
           result="ok" if reply.ok else "failed",
           detail={"peer": peer.instance_id, "kind": kind, "nonce": request.nonce, "status": reply.status,
                   "reason": reply.reason})
    return reply


def _read_answer(response: httpx.Response, request: Envelope, me: Identity, peer_keys: dict[str, str],
                 settings: Settings) -> tuple[Reply, Entry]:
    """The verified answer to `request` (signed by one of the peer's active keys, base64 by key id) and its
    log entry (refused when it does not verify)."""
    status, peer = response.status_code, request.recipient
    try:
        answer = envelope.parse(response.content)
    except Refusal as refused:
        text = response.content[:200].decode("utf-8", "replace")
        return (Reply(False, status, refused.code, f"HTTP {status}, not an envelope: {text}", {}, request, None),
                Entry.raw("in", peer, response.content, "refused", status, refused.code))
    try:
        if answer.sender != peer or answer.in_reply_to != request.nonce:
            raise Refusal("unbound_answer", "the answer does not come from the peer asked or names another request")
        if answer.sender_key not in peer_keys:
            raise Refusal("unknown_key", f"{answer.sender_key} is not an active key of {peer}")
        _authenticate(answer, keys.load_public(peer_keys[answer.sender_key]))
        if answer.recipient != me.instance_id:
            raise Refusal("wrong_recipient", f"the answer is addressed to {answer.recipient}")
        envelope.check_fresh(answer, utcnow(), settings.federation_max_skew_seconds)
    except Refusal as refused:
        return (Reply(False, status, refused.code, refused.message, {}, request, answer),
                Entry.of("in", answer, "refused", status, refused.code))
    if answer.kind == ERROR_KIND or status >= 400:
        code = str(answer.body.get("error") or "error")[:64]
        return (Reply(False, status, code, str(answer.body.get("message", "")), answer.body, request, answer),
                Entry.of("in", answer, "accepted", status, code))
    return Reply(True, status, "", "", answer.body, request, answer), Entry.of("in", answer, "accepted", status)
