"""Fixtures of the federation tests: this instance (zj-quzhou) in the test's store, and a peer (fj-nanping)
whose key lives only in the test and whose anchor this instance imported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from digigov.core.clock import utcnow
from digigov.core.settings import Settings
from digigov.identity.actor import Actor
from digigov.platform.federation import envelope, keys
from digigov.platform.federation import service as federation
from digigov.platform.federation.envelope import Envelope
from digigov.web.local_server import serve

HERE = "zj-quzhou"
PEER = "fj-nanping"
OP = Actor.operator()


@dataclass(frozen=True)
class Foreign:
    """Another instance, as far as a test needs one: its id, its key, and envelopes it signs."""

    instance_id: str
    key_id: str
    private_key: Ed25519PrivateKey
    base_url: str = "http://nanping.invalid"

    def anchor(self, *, valid_days: float = 30, extra_keys: tuple[keys.AnchorKey, ...] = (),
               valid_from: datetime | None = None) -> dict[str, Any]:
        start = valid_from or utcnow()
        own = keys.AnchorKey(self.key_id, keys.public_b64(self.private_key.public_key()), "active")
        return keys.sign_anchor(self.private_key, self.key_id, instance_id=self.instance_id, name="南平市公共数据平台",
                                base_url=self.base_url, keys=[own, *extra_keys], valid_from=start,
                                valid_until=start + timedelta(days=valid_days), issued_at=start)

    def seal(self, body: dict[str, Any] | None = None, **header: Any) -> Envelope:
        fields: dict[str, Any] = {"sender": self.instance_id, "recipient": HERE, "department": "350700-public_security",
                                  "purpose": "跨省通办材料核验 cross-province check", "kind": "ping"}
        fields.update(header)
        return envelope.seal(self.private_key, self.key_id, body={"echo": "你好"} if body is None else body, **fields)


def foreign(directory: Path, instance_id: str = PEER) -> Foreign:
    key_id, private = keys.generate(directory)
    return Foreign(instance_id, key_id, private)


@pytest.fixture
def fed_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "quzhou", secret_key="test")


@pytest.fixture
def here(session: Session, fed_settings: Settings) -> federation.Identity:
    federation.init(session, OP, instance_id=HERE, name="衢州市公共数据平台", base_url="http://quzhou.invalid/",
                    settings=fed_settings)
    return federation.identity(session, fed_settings)


@pytest.fixture
def peer(session: Session, here: federation.Identity, fed_settings: Settings, tmp_path: Path) -> Foreign:
    other = foreign(tmp_path / "nanping-keys")
    federation.import_anchor(session, OP, other.anchor(), settings=fed_settings)
    return other


serving = serve  # `app` served by uvicorn in a thread on a free local port; yields its base URL
