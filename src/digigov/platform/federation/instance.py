"""This instance's federation identity: its id, name, base URL and Ed25519 key pair (see service.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from digigov.audit.service import record
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput
from digigov.core.i18n import register
from digigov.core.settings import Settings, get_settings
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.catalog import validate
from digigov.platform.federation import envelope, keys
from digigov.platform.federation.model import FederationInstance, FederationKey

INSTANCE_TABLE = cast(Table, FederationInstance.__table__)
KEY_TABLE = cast(Table, FederationKey.__table__)
MAX_NAME = 200
MAX_URL = 300

register({
    "error.federation_not_initialised": ("本实例还没有跨域身份：请先运行 digigov federation init",
                                         "This instance has no federation identity yet: run digigov federation init"),
    "error.federation_already_initialised": ("本实例已初始化为 {instance}，实例编号不能更改",
                                             "This instance is {instance}; its id cannot change"),
    "error.federation_instance_id": ("实例编号只能由小写字母、数字和连字符组成（最多 64 个字符），如 zj-quzhou",
                                     "An instance id is lower-case letters, digits and hyphens (at most 64), "
                                     "e.g. zj-quzhou"),
    "error.federation_base_url": ("基础地址必须以 http:// 或 https:// 开头", "The base URL must start with http:// "
                                  "or https://"),
    "error.federation_key_missing": ("找不到本实例的私钥文件（{key_id}）：如已丢失，请运行 digigov federation "
                                     "rotate-key 并把新的信任锚交给各对端",
                                     "This instance's private key file ({key_id}) is missing: if it is lost, run "
                                     "digigov federation rotate-key and give every peer the new anchor"),
    "error.federation_id_taken": ("{instance} 已是一个受信任对端的编号", "{instance} is a trusted peer's id"),
})


@dataclass(frozen=True)
class Identity:
    instance_id: str
    name: str
    base_url: str
    key_id: str
    private_key: Ed25519PrivateKey


def key_dir(settings: Settings) -> Path:
    return settings.var_dir / "federation"


def self_instance(session: Session) -> FederationInstance | None:
    return session.scalar(select(FederationInstance).where(FederationInstance.is_self.is_(True)))


def _checked_identity(instance_id: str, name: str, base_url: str) -> tuple[str, str, str]:
    instance_id = validate.text(instance_id, "instance_id", max_len=64, required=True)
    if not envelope.INSTANCE_ID.match(instance_id):
        raise InvalidInput(f"bad instance id {instance_id!r}", key="federation_instance_id", field="instance_id")
    name = validate.text(name, "name", max_len=MAX_NAME, required=True)
    base_url = validate.text(base_url, "base_url", max_len=MAX_URL, required=True).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise InvalidInput(f"bad base URL {base_url!r}", key="federation_base_url", field="base_url")
    return instance_id, name, base_url


def _new_key(settings: Settings) -> FederationKey:
    key_id, private = keys.generate(key_dir(settings))
    return FederationKey(key_id=key_id, public_key=keys.public_b64(private.public_key()), status="active",
                         added_at=utcnow())


def init(session: Session, actor: Actor, *, instance_id: str, name: str, base_url: str,
         settings: Settings | None = None) -> FederationInstance:
    """Give this instance its identity and a key pair; again with the same id, change its name or URL."""
    require(actor, "federation.manage")
    return _init(session, actor, instance_id, name, base_url, settings or get_settings())


def _init(session: Session, actor: Actor, instance_id: str, name: str, base_url: str,
          settings: Settings) -> FederationInstance:
    instance_id, name, base_url = _checked_identity(instance_id, name, base_url)
    me = self_instance(session)
    if me is not None and me.instance_id != instance_id:
        raise Conflict(f"this instance is {me.instance_id}", key="federation_already_initialised",
                       instance=me.instance_id)
    created = me is None
    if me is None:
        if session.get(FederationInstance, instance_id) is not None:
            raise Conflict(f"{instance_id} is a trusted peer's id", key="federation_id_taken", instance=instance_id)
        me = FederationInstance(instance_id=instance_id, is_self=True, trusted_at=utcnow(),
                                trusted_by=actor.username[:80])
        session.add(me)
    me.name, me.base_url = name, base_url
    if not any(k.status == "active" for k in me.keys):
        me.keys.append(_new_key(settings))
    session.flush()
    active = next(k.key_id for k in me.keys if k.status == "active")
    record(session, actor, "federation.init", "federation_instance", instance_id,
           detail={"name": name, "base_url": base_url, "key_id": active, "created": created})
    return me


def rotate_key(session: Session, actor: Actor, *, settings: Settings | None = None) -> FederationKey:
    """A new key pair for this instance; the old public key stays (retired) so old envelopes still verify.
    Peers must import the new anchor (with --replace) before they accept messages signed with it."""
    require(actor, "federation.manage")
    settings = settings or get_settings()
    me = self_instance(session)
    if me is None:
        raise Conflict("federation is not initialised", key="federation_not_initialised")
    now = utcnow()
    retired = []
    for k in me.keys:
        if k.status == "active":
            k.status, k.retired_at = "retired", now
            retired.append(k.key_id)
    new = _new_key(settings)
    me.keys.append(new)
    session.flush()
    record(session, actor, "federation.key.rotate", "federation_instance", me.instance_id,
           detail={"key_id": new.key_id, "retired": retired})
    return new


_IDENTITY = (select(INSTANCE_TABLE.c.instance_id, INSTANCE_TABLE.c.name, INSTANCE_TABLE.c.base_url,
                    KEY_TABLE.c.key_id)
             .join(KEY_TABLE, KEY_TABLE.c.instance_id == INSTANCE_TABLE.c.instance_id)
             .where(INSTANCE_TABLE.c.is_self.is_(True), KEY_TABLE.c.status == "active"))  # built once


def identity(session: Session, settings: Settings | None = None) -> Identity:
    """This instance's identity and signing key (created on first use when the settings name an id)."""
    settings = settings or get_settings()
    row = session.connection().execute(_IDENTITY).first()  # Core: this runs on every message
    if row is None:
        if not settings.federation_instance_id:
            raise Conflict("federation is not initialised", key="federation_not_initialised")
        system = Actor(username="system:federation", via="system")
        _init(session, system, settings.federation_instance_id,
              settings.federation_name or settings.federation_instance_id,
              settings.federation_base_url or f"http://{settings.host}:{settings.port}", settings)
        row = session.connection().execute(_IDENTITY).one()
    return identity_of(session, settings, row.instance_id, row.name, row.base_url, row.key_id)


def identity_of(session: Session, settings: Settings, instance_id: str, name: str, base_url: str,
                key_id: str) -> Identity:
    """The Identity of this instance's row and active key as just read from the store, with its private key
    (read from its file once per process: a key file never changes, and a rotation gives a new key id)."""
    directory = key_dir(settings)
    if not keys.is_loaded(directory, key_id):  # first use in this process: drop the files of retired keys
        retired = set(session.scalars(select(FederationKey.key_id).where(
            FederationKey.instance_id == instance_id, FederationKey.status == "retired")))
        keys.remove(directory, retired & keys.key_files(directory))
    try:
        private = keys.load_private(directory, key_id)
    except FileNotFoundError:
        raise Conflict(f"the private key file of {key_id} is missing", key="federation_key_missing",
                       key_id=key_id) from None
    return Identity(instance_id, name, base_url, key_id, private)
