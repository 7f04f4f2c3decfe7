"""Ed25519 keys and trust anchors.

Private keys live one per file, `<var_dir>/federation/<key id>.pem` (PKCS#8, mode 0600, folder 0700), so a
rotation that is rolled back leaves the key in use untouched. A key's id is the first 16 hex digits of the
SHA-256 of its raw 32-byte public key.

A trust anchor (信任锚) is the small signed file two instances exchange to trust each other, as X-Road
instances exchange configuration anchors:

    {"format": "digigov-federation-anchor/1", "instance_id": "zj-quzhou", "name": "衢州市公共数据平台",
     "base_url": "https://...", "keys": [{"key_id": "...", "public_key": "<base64>", "status": "active"}, ...],
     "valid_from": "...", "valid_until": "...", "issued_at": "...",
     "signature": {"key_id": "<the active key>", "value": "<base64>"}}

The self-signature covers `ANCHOR_CONTEXT` and the canonical JSON of every member but `signature`. It
proves the file is whole and that its author holds the active key; whether to trust that author is the
importing admin's decision (the file travels by a channel they trust).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from digigov.core.clock import iso
from digigov.core.errors import InvalidInput
from digigov.core.i18n import register
from digigov.platform.federation.envelope import INSTANCE_ID, KEY_ID, canonical, no_constant

ANCHOR_FORMAT = "digigov-federation-anchor/1"
ANCHOR_CONTEXT = b"digigov-federation-anchor/1\n"
ANCHOR_FIELDS = ("format", "instance_id", "name", "base_url", "keys", "valid_from", "valid_until", "issued_at",
                 "signature")
MAX_ANCHOR_BYTES = 64 * 1024

register({
    "error.federation_anchor_invalid": ("信任锚文件无效：{reason}", "The trust anchor is not valid: {reason}"),
})

_PRIVATE: dict[Path, Ed25519PrivateKey] = {}  # loaded key files (a key file never changes once written)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_b64(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


@functools.lru_cache(maxsize=1024)
def load_public(b64: str) -> Ed25519PublicKey:
    """A public key from its base64 raw bytes (decoded once per process); ValueError when it is not one."""
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, TypeError) as exc:
        raise ValueError("not base64") from exc
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_path(directory: Path, key_id: str) -> Path:
    return directory / f"{key_id}.pem"


def generate(directory: Path) -> tuple[str, Ed25519PrivateKey]:
    """A new key pair; the private key written to `directory/<key id>.pem` readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    key_id = key_id_of(key.public_key())
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    path = key_path(directory, key_id)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    _PRIVATE[path] = key
    return key_id, key


def is_loaded(directory: Path, key_id: str) -> bool:
    return key_path(directory, key_id) in _PRIVATE


def load_private(directory: Path, key_id: str) -> Ed25519PrivateKey:
    """The private key `key_id` from its file (read once per process); FileNotFoundError when missing."""
    path = key_path(directory, key_id)
    key = _PRIVATE.get(path)
    if key is None:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey) or key_id_of(loaded.public_key()) != key_id:
            raise ValueError(f"{path.name} does not hold the Ed25519 key {key_id}")
        key = _PRIVATE[path] = loaded
    return key


def remove(directory: Path, key_ids: set[str]) -> None:
    """Delete the files of retired private keys (their public halves stay in the store)."""
    for key_id in key_ids:
        path = key_path(directory, key_id)
        _PRIVATE.pop(path, None)
        path.unlink(missing_ok=True)


def key_files(directory: Path) -> set[str]:
    """The ids of the private keys kept in `directory`."""
    if not directory.is_dir():
        return set()
    return {p.stem for p in directory.glob("*.pem") if KEY_ID.match(p.stem)}


# ---------------------------------------------------------------- trust anchors


@dataclass(frozen=True)
class AnchorKey:
    key_id: str
    public_key: str  # base64
    status: str  # active or retired


@dataclass(frozen=True)
class Anchor:
    instance_id: str
    name: str
    base_url: str
    keys: tuple[AnchorKey, ...]
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    sha256: str  # of the canonical document, recorded with the import

    @property
    def active_key(self) -> AnchorKey:
        return next(k for k in self.keys if k.status == "active")


def sign_anchor(private_key: Ed25519PrivateKey, key_id: str, *, instance_id: str, name: str, base_url: str,
                keys: list[AnchorKey], valid_from: datetime, valid_until: datetime,
                issued_at: datetime) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": ANCHOR_FORMAT, "instance_id": instance_id, "name": name, "base_url": base_url,
        "keys": [{"key_id": k.key_id, "public_key": k.public_key, "status": k.status} for k in keys],
        "valid_from": iso(valid_from), "valid_until": iso(valid_until), "issued_at": iso(issued_at),
    }
    value = base64.b64encode(private_key.sign(ANCHOR_CONTEXT + canonical(doc))).decode("ascii")
    return {**doc, "signature": {"key_id": key_id, "value": value}}


def _bad(reason: str) -> InvalidInput:
    return InvalidInput(f"invalid trust anchor: {reason}", key="federation_anchor_invalid", reason=reason)


def _when(doc: dict[str, Any], name: str) -> datetime:
    try:
        value = datetime.fromisoformat(str(doc[name]))
    except ValueError:
        raise _bad(f"{name} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise _bad(f"{name} has no time zone")
    return value


def _anchor_keys(doc: dict[str, Any]) -> tuple[AnchorKey, ...]:
    items = doc["keys"]
    if not isinstance(items, list) or not 1 <= len(items) <= 50:
        raise _bad("keys must be a list of 1 to 50 keys")
    out: list[AnchorKey] = []
    for item in items:
        if not isinstance(item, dict) or sorted(item) != ["key_id", "public_key", "status"]:
            raise _bad("each key has exactly key_id, public_key and status")
        try:
            public = load_public(str(item["public_key"]))
        except ValueError:
            raise _bad(f"key {str(item['key_id'])[:20]} is not an Ed25519 public key") from None
        if item["key_id"] != key_id_of(public) or item["status"] not in ("active", "retired"):
            raise _bad(f"key {str(item['key_id'])[:20]} does not match its id, or its status is unknown")
        out.append(AnchorKey(item["key_id"], item["public_key"], item["status"]))
    if sum(k.status == "active" for k in out) != 1 or len({k.key_id for k in out}) != len(out):
        raise _bad("an anchor names exactly one active key, each key once")
    return tuple(out)


def read_anchor(data: bytes | dict[str, Any]) -> Anchor:
    """Parse a trust anchor and check its self-signature; InvalidInput naming what is wrong otherwise.
    Whether it is still valid (valid_from, valid_until) is for the importer to judge against its clock."""
    doc: Any = data
    if isinstance(data, bytes):
        if len(data) > MAX_ANCHOR_BYTES:
            raise _bad("the file is larger than 64 KiB")
        try:
            doc = json.loads(data, parse_constant=no_constant)
        except (ValueError, UnicodeDecodeError):
            raise _bad("not JSON") from None
    if not isinstance(doc, dict) or sorted(doc) != sorted(ANCHOR_FIELDS):
        raise _bad("the members must be exactly " + ", ".join(ANCHOR_FIELDS))
    if doc["format"] != ANCHOR_FORMAT:
        raise _bad(f"unknown format {str(doc['format'])[:60]!r}")
    for name in ("instance_id", "name", "base_url"):
        if not isinstance(doc[name], str) or not doc[name] or len(doc[name]) > 300:
            raise _bad(f"{name} must be text")
    if not INSTANCE_ID.match(doc["instance_id"]):
        raise _bad("instance_id must be lower-case letters, digits and hyphens")
    if not doc["base_url"].startswith(("http://", "https://")):
        raise _bad("base_url must be an http(s) URL")
    keys = _anchor_keys(doc)
    signature = doc["signature"]
    if not isinstance(signature, dict) or sorted(signature) != ["key_id", "value"]:
        raise _bad("signature must have key_id and value")
    signer = next((k for k in keys if k.key_id == signature["key_id"] and k.status == "active"), None)
    if signer is None:
        raise _bad("the signature must be made with the anchor's active key")
    body = {k: v for k, v in doc.items() if k != "signature"}
    try:
        load_public(signer.public_key).verify(base64.b64decode(str(signature["value"]), validate=True),
                                              ANCHOR_CONTEXT + canonical(body))
    except (InvalidSignature, binascii.Error, ValueError):
        raise _bad("the self-signature does not verify") from None
    valid_from, valid_until = _when(doc, "valid_from"), _when(doc, "valid_until")
    if valid_until <= valid_from:
        raise _bad("valid_until must be after valid_from")
    return Anchor(doc["instance_id"], doc["name"], doc["base_url"], keys, valid_from, valid_until,
                  _when(doc, "issued_at"), hashlib.sha256(canonical(doc)).hexdigest())
