"""`digigov calendar ...` (the official working-day calendar, 工作日) and `digigov bus ...` (the event bus).

The guarded calendar use cases (set_day, unset_day, import_schedule) live here for now because
digigov.core may not import identity or audit (../shared ARCHITECTURE import rules); they belong in a
platform service module (see the helper report) and the commands below only call them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from digigov import cli_support as support
from digigov.core import bus, workdays
from digigov.core.db import make_session_factory
from digigov.core.errors import DigigovError
from digigov.core.settings import get_settings
from digigov.identity.actor import Actor
from digigov.platform.calendar.service import import_schedule, set_day, unset_day

calendar_app = typer.Typer(help="The official working-day calendar (工作日与节假日).", no_args_is_help=True)
bus_app = typer.Typer(help="The event bus: outbox, consumers, replay (事件总线).", no_args_is_help=True)


# ---------------------------------------------------------------- calendar use cases


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}") from exc


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(min=1949, max=2200)],
                  as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A year's holidays and adjusted working days, where they come from, and its coverage."""
    with support.store() as session:
        info = workdays.year_summary(workdays.load_calendar(session), year)
    if as_json:
        support.console.print_json(json.dumps(info, ensure_ascii=False))
        return
    cover = {"official": "[green]official (国务院安排)[/green]",
             "admin": "[yellow]entered by an administrator[/yellow]",
             "weekends_only": "[red]weekends only: no schedule entered[/red]"}
    support.console.print(f"{year}: {cover[info['coverage']]} · {info['workdays']} working days")
    table = Table("date", "weekday", "day", "name", "source", title=f"{year} holidays and adjusted working days")
    for d in info["days"]:
        table.add_row(d["date"], "一二三四五六日"[d["weekday"] - 1],
                      "[green]班 workday[/green]" if d["workday"] else "[red]休 holiday[/red]", d["name"], d["source"])
    support.console.print(table)
    for w in info["warnings"]:
        support.err.print(f"[yellow]warning:[/yellow] {w}")


@calendar_app.command("set")
def calendar_set(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    workday: Annotated[bool, typer.Option("--workday/--holiday", help="A working day (班) or a holiday (休)")],
    name: Annotated[str, typer.Option("--name", help="e.g. 春节, 国庆节")] = "",
) -> None:
    """Override one date of the calendar (audited)."""
    d = _date(day)
    with support.store() as session:
        set_day(session, Actor.operator(), d, workday=workday, name=name)
    support.console.print(f"{d.isoformat()} is now a {'working day' if workday else 'holiday'} {name}".rstrip())


@calendar_app.command("unset")
def calendar_unset(day: Annotated[str, typer.Argument(help="YYYY-MM-DD")]) -> None:
    """Remove the override of a date (audited)."""
    d = _date(day)
    with support.store() as session:
        removed = unset_day(session, Actor.operator(), d)
    support.console.print(f"{d.isoformat()}: override removed" if removed else f"{d.isoformat()}: no override")


@calendar_app.command("import")
def calendar_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="CSV (date,kind,name) or YAML list of {date, kind, name}")],
) -> None:
    """Import a year's schedule (holidays and adjusted working days) as overrides (audited)."""
    is_yaml = file.suffix.lower() in (".yaml", ".yml")
    with support.store() as session:
        rows = workdays.parse_schedule(file.read_text(encoding="utf-8-sig"), "yaml" if is_yaml else "csv")
        n = import_schedule(session, Actor.operator(), rows)
        years = sorted({d.year for d, _w, _n in rows})
        cal = workdays.load_calendar(session)
        coverage = {y: cal.coverage(y) for y in years}
    support.console.print(f"imported {n} days: " + ", ".join(f"{y} ({c})" for y, c in coverage.items()))


# ---------------------------------------------------------------- bus commands


@bus_app.command("status")
def bus_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Pending outbox events, and each consumer with its lag and last error."""
    with support.store() as session:
        info = bus.status(session)
    if as_json:
        support.console.print_json(json.dumps(info, ensure_ascii=False))
        return
    where = f"NATS JetStream stream {info['stream']}" if info["backend"] == "nats" else "in-process outbox"
    support.console.print(f"bus: {where} · {info['outbox_total']:,} events · {info['outbox_pending']:,} pending")
    table = Table("consumer", "subjects", "offset", "lag", "delivered", "attempts", "last error")
    for c in info["consumers"]:
        table.add_row(c["durable"] + ("" if c["registered"] else " (not loaded)"), c["subjects"], str(c["offset"]),
                      f"{c['lag']:,}", f"{c['delivered']:,}", str(c["attempts"]), (c["last_error"] or "-")[:80])
    support.console.print(table)


@bus_app.command("replay")
def bus_replay(
    durable: str,
    from_seq: Annotated[int | None, typer.Option("--from-seq", min=1, help="First sequence to deliver again")] = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO time: deliver again what was published since")]
    = None,
) -> None:
    """Rewind a consumer so it receives events again (from a sequence or a time)."""
    if (from_seq is None) == (since is None):
        raise typer.BadParameter("give exactly one of --from-seq and --since")
    when: datetime | None = None
    if since is not None:
        try:
            when = datetime.fromisoformat(since)
        except ValueError as exc:
            raise typer.BadParameter(f"--since takes an ISO time, got {since!r}") from exc
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    with support.store() as session:
        offset = bus.replay(session, durable, from_seq=from_seq, since=when)
    support.console.print(f"{durable}: offset now {offset}; the next drain delivers from {offset + 1}")


@bus_app.command("prune")
def bus_prune(older_than_days: Annotated[int, typer.Option("--older-than-days", min=0, max=36_500)] = 30) -> None:
    """Delete delivered events (and processed-message keys) older than the given number of days."""
    with support.store() as session:
        n = bus.prune(session, timedelta(days=older_than_days))
    support.console.print(f"pruned {n['events']:,} events and {n['processed_keys']:,} processed keys "
                          f"older than {older_than_days} days")


@bus_app.command("drain")
def bus_drain(batch: Annotated[int, typer.Option(min=1, max=100_000, help="Events per round")] = 500) -> None:
    """Deliver every pending event to the consumers of the installed applications and print the count."""
    from digigov import worker
    from digigov.migrations.runner import upgrade

    worker.wire()
    settings = get_settings()
    engine = support.engine_for(settings)
    try:
        upgrade(engine)
        with support.progress() as step:
            n = worker.drain_backlog(make_session_factory(engine), lambda d, t: step("events", d, t),
                                     batch=batch)
    except DigigovError as exc:
        support.err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    support.console.print(f"delivered {n} events")
