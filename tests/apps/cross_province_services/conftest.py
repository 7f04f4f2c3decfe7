"""Two live platform instances for the cross-province tests: 衢州 (zj-quzhou) and 南平 (fj-nanping), each
with its own store on the backend under test (two schemas on PostgreSQL), its own keys and its own web app
served by uvicorn, trusting each other through exchanged anchors. The federation tests' `serving` helper
runs the servers; the store and trust set-up is theirs too, in the order `digigov federation init` and
`anchor export|import` do it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import fresh_database_url
from tests.platform.federation.conftest import OP, serving

from digigov.apps import registry
from digigov.apps.digital_government.cross_province_services import catalogue, plugin
from digigov.apps.digital_government.cross_province_services import service as xps
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.federation import service as federation
from digigov.web.app import create_app

KINDS = sorted({i.department_kind for i in catalogue.items().values()})


def install_plugin() -> None:
    """The app as its entry point installs it (an installation made before the entry point was added
    does not list it yet)."""
    pm = registry.plugin_manager()
    if not pm.has_plugin("cross_province_services") and not pm.is_registered(plugin):
        pm.register(plugin, name="cross_province_services")
    registry.load()


@dataclass(frozen=True)
class City:
    instance_id: str
    code: str
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    url: str

    def staff(self, kind: str, username: str = "") -> Actor:
        """An officer of this city's department of `kind` (a window clerk, or the competent handler)."""
        with unit_of_work(self.factory) as s:
            dept = identity.get_department(s, f"{self.code}-{kind}")
            return Actor(username=username or f"{self.instance_id}-{kind}", roles=frozenset({"officer"}),
                         department_id=dept.id, department_name=dept.name, department_kind=dept.kind,
                         region_code=dept.region_code, region_level=dept.tier)


def _seed(factory: sessionmaker[Session], code: str) -> None:
    with unit_of_work(factory) as s:
        if code.startswith("33"):
            identity.seed_regions_and_departments(s, OP, kinds=KINDS)
        xps.ensure_departments(s, catalogue.city(code))


@pytest.fixture(scope="module")
def cities(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[City, City]]:
    """zj-quzhou and fj-nanping, both on the backend under test, trusting each other."""
    install_plugin()
    tmp = tmp_path_factory.mktemp("xps-pair")
    lives: list[City] = []
    with ExitStack() as stack:
        for instance_id, code in (("zj-quzhou", "330800"), ("fj-nanping", "350700")):
            url, drop = fresh_database_url(backend, tmp)
            stack.callback(drop)  # type: ignore[arg-type]
            engine = make_engine(url)
            stack.callback(engine.dispose)
            upgrade(engine)
            factory = make_session_factory(engine)
            _seed(factory, code)
            settings = Settings(var_dir=tmp / instance_id, secret_key="test", database_url=url,
                                federation_timeout_seconds=60, xps_retry_seconds=60)
            base = stack.enter_context(serving(create_app(settings, session_factory=factory)))
            with unit_of_work(factory) as s:
                federation.init(s, OP, instance_id=instance_id, name=catalogue.city(code).name, base_url=base,
                                settings=settings)
            # FastAPI builds its routes on the first request: done here, not inside a timed exchange
            assert httpx.get(base + federation.ANCHOR_PATH, timeout=180).status_code == 200
            lives.append(City(instance_id, code, settings, engine, factory, base))
        for me, other in (lives, lives[::-1]):
            with unit_of_work(other.factory) as s:
                anchor = federation.export_anchor(s, settings=other.settings)
            with unit_of_work(me.factory) as s:
                federation.import_anchor(s, OP, anchor, settings=me.settings)
        yield lives[0], lives[1]
