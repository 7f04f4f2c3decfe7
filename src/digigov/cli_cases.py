"""`digigov cases ...` (工单) and `digigov worker`: the closed loop from the shell."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.table import Table

from digigov import cli_support as support
from digigov.identity.actor import Actor

cases_app = typer.Typer(help="Cases of the closed loop (工单).", no_args_is_help=True)
STATUSES = ("open", "intake", "triaged", "assigned", "in_progress", "responded", "verified", "closed", "returned",
            "reopened")


@cases_app.command("list")
def list_cmd(
    type_: Annotated[str | None, typer.Option("--type", help="Case type code, e.g. people_call.ticket")] = None,
    status: Annotated[str | None, typer.Option(help="A status, or 'open' for every status but closed")] = None,
    region: Annotated[str | None, typer.Option(help="Region code (county, city or province)")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue cases")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List cases, newest first."""
    from digigov.apps import registry
    from digigov.platform.cases import queries

    if status and status not in STATUSES:
        raise typer.BadParameter(f"--status must be one of {', '.join(STATUSES)}")
    registry.load()
    with support.store() as session:
        rows, total = queries.list_cases(session, Actor.operator(), queries.CaseFilter(
            type=type_, status=status, region=region, overdue=True if overdue else None), limit=limit)
        if as_json:
            support.console.print_json(json.dumps({"total": total, "items": [{
                "number": c.number, "type": c.type_code, "title": c.title, "category": c.category,
                "status": c.status, "colour": c.colour, "overdue": c.overdue, "region_code": c.region_code,
                "department": c.department.code if c.department else None,
                "opened_at": c.opened_at.isoformat(), "due_at": c.due_at.isoformat() if c.due_at else None,
            } for c in rows]}, ensure_ascii=False))
            return
        table = Table(title=f"{total} cases")
        for col in ("number", "type", "status", "colour", "department", "opened", "title"):
            table.add_column(col)
        for c in rows:
            table.add_row(c.number, c.type_code, c.status, c.colour, c.department.name if c.department else "—",
                          c.opened_at.strftime("%Y-%m-%d %H:%M"), c.title[:40])
        support.console.print(table)


@cases_app.command("scan")
def scan_cmd() -> None:
    """Run the deadline monitor once: reminders, overdue, escalation, unrated cases closed."""
    from digigov.apps import registry
    from digigov.platform.cases import supervision

    registry.load()
    with support.store() as session:
        result = supervision.scan(session)
    support.console.print(vars(result))


def worker_cmd(
    once: Annotated[bool, typer.Option("--once", help="Do one round and exit")] = False,
    interval: Annotated[float, typer.Option(min=0.5, help="Seconds between rounds")] = 5.0,
) -> None:
    """Background work: deliver bus events, watch deadlines, run due rules and indicators (run this when
    `digigov serve` runs with DIGIGOV_WORKER_IN_PROCESS=false, e.g. with several web workers)."""
    from digigov import worker
    from digigov.core.db import make_session_factory
    from digigov.core.settings import get_settings
    from digigov.migrations.runner import upgrade

    engine = support.engine_for(get_settings())
    upgrade(engine)
    factory = make_session_factory(engine)
    worker.wire()
    while True:
        result = worker.tick(factory)
        support.console.print({"delivered": result.delivered, "scan": result.scan, "rules": result.rules,
                               "indicators": result.indicators, "errors": result.errors})
        if once:
            raise typer.Exit(1 if result.errors else 0)
        time.sleep(interval)
