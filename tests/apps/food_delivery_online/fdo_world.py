"""A store and a warehouse with the small demo province's registries (enterprises, food-business licences) and
the application's demo built on them: the ground of the application's store, page and browser tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digigov.apps import registry
from digigov.apps.digital_government.food_delivery_online import demo, plugin
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.demo import govdata
from digigov.demo.people import DemoUser
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.ingest import service as ingest

SEED = 2021
REGISTRIES = ("mr_enterprise", "mr_food_licence")


def install_plugin() -> None:
    """The app as its entry point installs it (an installation made before the entry point was added does not
    list it yet)."""
    pm = registry.plugin_manager()
    if not pm.has_plugin("food_delivery_online") and not pm.is_registered(plugin):
        pm.register(plugin, name="food_delivery_online")
    registry.load()


@dataclass(frozen=True)
class World:
    engine: Engine
    factory: sessionmaker[Session]
    warehouse: Warehouse
    data_dir: Path
    users: dict[str, DemoUser]
    figures: dict[str, Any]

    @property
    def truth(self) -> dict[str, Any]:
        return json.loads((self.data_dir / "food_delivery_online" / "truth.json").read_text(encoding="utf-8"))


def load_registries(session: Session, directory: Path) -> None:
    """The demo market-regulation registries, through ingestion as department_data loads them."""
    op = Actor.operator()
    data = govdata.generate(directory, size="small", seed=SEED)
    for f in data.files:
        if f.dataset in REGISTRIES:
            ingest.ensure_dataset(session, op, ingest.DatasetSpec(
                code=f.dataset, name=f.name, name_en=f.name_en, department=f"{f.region_code}-{f.department_kind}",
                update_frequency=f.update_frequency, key_columns=list(f.key)))
            ingest.ingest(session, op, f.dataset, f.path, mapping=dict(f.mapping), file_name=f.path.name)


def build_world(url: str, directory: Path) -> World:
    from tests.conftest import seed_base

    install_plugin()
    engine = make_engine(url)
    upgrade(engine)
    users = {u.username: u for u in seed_base(engine)}
    warehouse = Warehouse(directory / "warehouse.duckdb", lock_timeout=30)
    set_warehouse(warehouse)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        load_registries(s, directory / "govdata")
    with unit_of_work(factory) as s:
        figures = demo.build(s, Actor.operator(), size="small", seed=SEED, data_dir=directory / "demo")
    return World(engine, factory, warehouse, directory / "demo", users, figures)
