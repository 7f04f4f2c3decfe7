"""Signed envelopes: the one shape of every message between two platform instances. No I/O here.

An envelope is JSON with three members:

    {"header": {"version": 1, "sender": "zj-quzhou", "sender_key": "<16 hex>", "department": "330800-...",
                "purpose": "...", "kind": "ping", "recipient": "fj-nanping",
                "timestamp": "2026-11-28T02:00:00.000000+00:00", "nonce": "<32 hex>",
                "in_reply_to": "" | "<the request's nonce>", "body_sha256": "<64 hex>"},
     "body": {...},
     "signature": "<base64 Ed25519 signature>"}

The signature covers `SIGNING_CONTEXT` followed by the canonical JSON of the whole header (keys sorted, no
spaces, UTF-8, no NaN), and the header carries the SHA-256 of the canonical body, so a changed header
field, a changed body or a signature by another key is each detected. An answer is an envelope whose
`in_reply_to` names the request's nonce; a refusal is an answer of kind `error` whose body holds the
reason code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from digigov.core.clock import iso, utcnow

VERSION = 1
SIGNING_CONTEXT = b"digigov-federation-envelope/1\n"
HEADER_FIELDS = ("version", "sender", "sender_key", "department", "purpose", "kind", "recipient", "timestamp",
                 "nonce", "in_reply_to", "body_sha256")
ERROR_KIND = "error"
MAX_PURPOSE = 500
MAX_DEPARTMENT = 64

INSTANCE_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
KEY_ID = re.compile(r"^[0-9a-f]{16}$")
KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Reason code -> HTTP status of a refused envelope.
REFUSAL_STATUS = {
    "malformed": 400,  # not an envelope: bad JSON, a missing or extra field, a field of the wrong shape
    "too_large": 413,
    "stale": 400,  # timestamp outside the allowed clock skew
    "unknown_kind": 400,  # no handler for this kind
    "unbound_answer": 400,  # an answer that does not name the request it answers
    "unknown_sender": 401,  # no trust anchor imported for the sender
    "sender_revoked": 401,
    "anchor_expired": 401,  # the sender's anchor is outside its validity
    "unknown_key": 401,  # not an active key of the sender
    "bad_signature": 401,
    "body_hash_mismatch": 401,  # the body is not the one the signed header names
    "replay": 409,  # a nonce already seen inside the window
    "wrong_recipient": 421,  # addressed to another instance (Misdirected Request)
}


class Refusal(Exception):
    """Why an envelope is refused: a stable reason code (a key of REFUSAL_STATUS) and a sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = REFUSAL_STATUS[code]


def canonical(value: Any) -> bytes:
    """The canonical JSON of a value: sorted keys, no whitespace, UTF-8, no NaN or infinity."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def body_digest(body: Any) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Envelope:
    header: dict[str, Any]
    body: dict[str, Any]
    signature: str

    # The canonical JSON of the body and of the whole envelope, computed at most once per envelope (seal
    # makes both from the bytes it signs and hashes; a parsed one on first use). Not fields: an envelope's
    # equality and repr are its content. Its header and body are not changed after it is made.
    _canonical_body: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _text: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def sender(self) -> str:
        return str(self.header["sender"])

    @property
    def recipient(self) -> str:
        return str(self.header["recipient"])

    @property
    def kind(self) -> str:
        return str(self.header["kind"])

    @property
    def nonce(self) -> str:
        return str(self.header["nonce"])

    @property
    def in_reply_to(self) -> str:
        return str(self.header["in_reply_to"])

    @property
    def department(self) -> str:
        return str(self.header["department"])

    @property
    def purpose(self) -> str:
        return str(self.header["purpose"])

    @property
    def sender_key(self) -> str:
        return str(self.header["sender_key"])

    @property
    def timestamp(self) -> datetime:
        return datetime.fromisoformat(self.header["timestamp"])

    def as_dict(self) -> dict[str, Any]:
        return {"header": self.header, "body": self.body, "signature": self.signature}

    def canonical_body(self) -> bytes:
        """The canonical JSON of the body (what body_sha256 covers)."""
        if self._canonical_body is None:
            object.__setattr__(self, "_canonical_body", canonical(self.body))
        return cast(bytes, self._canonical_body)

    def text(self) -> str:
        """The envelope as canonical JSON text (what is sent and what the message log keeps)."""
        if self._text is None:
            object.__setattr__(self, "_text", _assemble(self.canonical_body(), canonical(self.header),
                                                         self.signature))
        return cast(str, self._text)


def _assemble(body: bytes, header: bytes, signature: str) -> str:
    """canonical(envelope.as_dict()) from the canonical body and header: the members in sorted order (body,
    header, signature), so the same text without encoding the body a second time."""
    return b"".join((b'{"body":', body, b',"header":', header, b',"signature":', canonical(signature),
                     b"}")).decode("utf-8")


def _signing_input(header: dict[str, Any]) -> bytes:
    return SIGNING_CONTEXT + canonical(header)


def seal(private_key: Ed25519PrivateKey, key_id: str, *, sender: str, recipient: str, department: str,
         purpose: str, kind: str, body: dict[str, Any], in_reply_to: str = "", now: datetime | None = None,
         nonce: str | None = None) -> Envelope:
    """A new envelope carrying `body`, signed with `private_key` (whose id is `key_id`)."""
    body_json = canonical(body)
    header = {
        "version": VERSION, "sender": sender, "sender_key": key_id, "department": department, "purpose": purpose,
        "kind": kind, "recipient": recipient, "timestamp": iso(now or utcnow()), "nonce": nonce or new_nonce(),
        "in_reply_to": in_reply_to, "body_sha256": hashlib.sha256(body_json).hexdigest(),
    }
    header_json = canonical(header)
    signature = base64.b64encode(private_key.sign(SIGNING_CONTEXT + header_json)).decode("ascii")
    env = Envelope(header, body, signature)
    object.__setattr__(env, "_canonical_body", body_json)
    object.__setattr__(env, "_text", _assemble(body_json, header_json, signature))
    return env


def signature_ok(env: Envelope, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(base64.b64decode(env.signature, validate=True), _signing_input(env.header))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def check_body(env: Envelope) -> None:
    if hashlib.sha256(env.canonical_body()).hexdigest() != env.header["body_sha256"]:
        raise Refusal("body_hash_mismatch", "the body does not match the body_sha256 of the signed header")


def check_fresh(env: Envelope, now: datetime, skew_seconds: float) -> None:
    if abs(now - env.timestamp) > timedelta(seconds=skew_seconds):
        raise Refusal("stale", f"the timestamp {env.header['timestamp']} is more than {skew_seconds:g} s from "
                               f"this instance's clock ({iso(now)})")


# ---------------------------------------------------------------- parsing


def _text(header: dict[str, Any], name: str, max_len: int) -> None:
    value = header[name]
    if not isinstance(value, str) or len(value) > max_len or CONTROL.search(value):
        raise Refusal("malformed", f"header field {name} must be text of at most {max_len} characters")


def _match(header: dict[str, Any], name: str, pattern: re.Pattern[str], *, blank: bool = False) -> None:
    value = header[name]
    if not isinstance(value, str) or not (pattern.match(value) or (blank and value == "")):
        raise Refusal("malformed", f"header field {name} is not of the expected form")


def _check_header(header: Any) -> None:
    if not isinstance(header, dict) or sorted(header) != sorted(HEADER_FIELDS):
        raise Refusal("malformed", "the header must have exactly the fields " + ", ".join(HEADER_FIELDS))
    if type(header["version"]) is not int or header["version"] != VERSION:
        raise Refusal("malformed", f"unsupported envelope version {header['version']!r}")
    _match(header, "sender", INSTANCE_ID)
    _match(header, "kind", KIND)
    _match(header, "recipient", INSTANCE_ID, blank=header["kind"] == ERROR_KIND)  # a refusal of garbage
    _match(header, "sender_key", KEY_ID)
    _match(header, "nonce", NONCE)
    _match(header, "in_reply_to", NONCE, blank=True)
    _match(header, "body_sha256", SHA256_HEX)
    _text(header, "department", MAX_DEPARTMENT)
    _text(header, "purpose", MAX_PURPOSE)
    _text(header, "timestamp", 40)
    try:
        stamp = datetime.fromisoformat(header["timestamp"])
    except ValueError:
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        raise Refusal("malformed", "the timestamp must be ISO 8601 with a time zone")


def no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(raw: bytes | str | dict[str, Any]) -> Envelope:
    """An envelope from its JSON (bytes, text or already decoded), its shape checked; Refusal("malformed")
    otherwise. The signature, the body hash and the freshness are checked by the caller, who knows the keys
    and the clock."""
    data: Any = raw
    if isinstance(raw, bytes | str):
        try:
            data = json.loads(raw, parse_constant=no_constant)
        except (ValueError, RecursionError):
            raise Refusal("malformed", "the message is not JSON") from None
    if not isinstance(data, dict) or sorted(data) != ["body", "header", "signature"]:
        raise Refusal("malformed", "an envelope is an object with exactly header, body and signature")
    _check_header(data["header"])
    if not isinstance(data["body"], dict):
        raise Refusal("malformed", "the body must be a JSON object")
    signature = data["signature"]
    if not isinstance(signature, str) or len(signature) != 88:  # 64 bytes in base64
        raise Refusal("malformed", "the signature must be 64 bytes in base64")
    return Envelope(data["header"], data["body"], signature)
