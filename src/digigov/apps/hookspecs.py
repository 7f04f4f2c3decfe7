"""The extension points of an application (the "5" of 152), one documented hook each (pluggy).

An application is a package under `apps/<system>/<name>/` with a module registered under the
`digigov.apps` entry-point group; that module implements the hooks it needs with `@hookimpl`.
Removing the package removes the application and nothing else: the platform never names an app.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "digigov"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def app_manifest() -> dict[str, Any]:  # type: ignore[empty-body]
    """id, name (zh), name_en, system (party_governance | digital_government | digital_economy |
    digital_society | rule_of_law), owner (department code), partners (department codes), region
    (GB/T 2260 code) and problem (the problem it solves, zh)."""


@hookspec
def case_types() -> list[Any]:  # type: ignore[empty-body]
    """The case types the application declares (`digigov.platform.cases.types.CaseType`)."""


@hookspec
def rules() -> list[dict[str, Any]]:  # type: ignore[empty-body]
    """Early-warning rule specs it ships (see `digigov.platform.rules.spec`)."""


@hookspec
def indicators() -> list[dict[str, Any]]:  # type: ignore[empty-body]
    """Indicator specs for its cockpit (see `digigov.platform.indicators.spec`)."""


@hookspec
def routers() -> list[Any]:  # type: ignore[empty-body]
    """FastAPI routers with its pages and API routes (included by the web app factory)."""


@hookspec
def bus_consumers() -> list[tuple[str, str, Any]]:  # type: ignore[empty-body]
    """(durable name, subject pattern, handler(session, event)) triples to subscribe on the bus."""


@hookspec
def build_demo(session: Any, actor: Any, size: str, seed: int, data_dir: Any, progress: Any) -> dict[str, Any]:  # type: ignore[empty-body]
    """Generate the application's demo data into the store (and warehouse); return figures to print."""


@hookspec
def periodic_jobs() -> list[tuple[str, Any]]:  # type: ignore[empty-body]
    """(name, job(factory, now) -> int) pairs the worker runs each round, each failure logged on its own
    (e.g. resending messages a peer did not receive); the int is what the job did, for the round's report."""
