"""Find the installed applications (entry-point group `digigov.apps`) and wire them into the platform:
their case types into the case engine, their bus consumers onto the bus, their rules and indicators
into the store. Entry points (web app, CLI, worker) call `load()` once and `sync(session)` when the
store should hold the shipped rules and indicators.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pluggy
from sqlalchemy.orm import Session

from digigov.apps import hookspecs
from digigov.core import bus
from digigov.identity.actor import Actor
from digigov.platform.cases import types as case_types

GROUP = "digigov.apps"


@cache
def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(GROUP)
    return pm


def manifests() -> list[dict[str, Any]]:
    return sorted(plugin_manager().hook.app_manifest(), key=lambda m: m["id"])


def _flat(results: list[list[Any]]) -> list[Any]:
    return [item for group in results for item in (group or [])]


def load() -> None:
    """Register every installed app's case types and bus consumers in this process (idempotent)."""
    hook = plugin_manager().hook
    for ct in _flat(hook.case_types()):
        case_types.register(ct)
    for durable, subjects, handler in _flat(hook.bus_consumers()):
        bus.subscribe(durable, subjects, handler)


def periodic_jobs() -> list[tuple[str, Any]]:
    return _flat(plugin_manager().hook.periodic_jobs())


def routers() -> list[Any]:
    return _flat(plugin_manager().hook.routers())


def sync(session: Session, actor: Actor | None = None) -> dict[str, int]:
    """Store the rules and indicators the installed apps ship (new versions only); returns counts."""
    from digigov.platform.indicators import service as indicators
    from digigov.platform.rules import service as rules

    actor = actor or Actor.operator()
    out = {"rules": 0, "indicators": 0}
    for plugin in plugin_manager().get_plugins():
        manifest = getattr(plugin, "app_manifest", None)
        if manifest is None:
            continue
        app_id = manifest()["id"]
        out["rules"] += rules.sync_app_rules(session, actor, app_id, list(getattr(plugin, "rules", list)()))
        out["indicators"] += indicators.sync_app_indicators(
            session, actor, app_id, list(getattr(plugin, "indicators", list)())
        )
    return out


def build_demo(session: Session, actor: Actor, size: str, seed: int, data_dir: Any, progress: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for result in plugin_manager().hook.build_demo(
        session=session, actor=actor, size=size, seed=seed, data_dir=data_dir, progress=progress
    ):
        figures.update(result or {})
    return figures
