"""`digigov indicators ...`: the indicators (指标) in the store, computing them now, and one's values."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from digigov import cli_support as support
from digigov.identity.actor import Actor

indicators_app = typer.Typer(help="Indicators for cockpits (指标): list, compute, show.", no_args_is_help=True)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}" if unit == "%" or value != round(value) else f"{int(value):,}"
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}".strip()


@indicators_app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON")] = False) -> None:
    """Every stored indicator with the province's latest value."""
    from digigov.platform.indicators import service

    with support.store() as session:
        actor = Actor.operator()
        rows: list[dict[str, Any]] = []
        for ind in service.list_indicators(session, actor):
            s = service.spec_of(ind)
            point = service.latest(session, actor, ind.code)
            rows.append({"code": ind.code, "app": ind.app, "name": ind.name, "unit": s.unit, "grain": s.grain,
                         "enabled": ind.enabled, "period": point.period.isoformat() if point else None,
                         "value": point.value if point else None,
                         "last_computed_at": ind.last_computed_at.isoformat() if ind.last_computed_at else None,
                         "last_error": ind.last_error})
    if as_json:
        support.console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("code", "name", "app", "grain", "latest (province)", "period", "last computed", title="indicators")
    for r in rows:
        table.add_row(r["code"], r["name"], r["app"], r["grain"], _fmt(r["value"], r["unit"]), r["period"] or "—",
                      (r["last_computed_at"] or "never")[:19] + (" [red]failed[/red]" if r["last_error"] else ""))
    support.console.print(table)


@indicators_app.command("compute")
def compute_cmd(
    code: Annotated[str | None, typer.Argument(help="Indicator code; all enabled indicators when left out")] = None,
    since: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD); default: the indicator's lookback")]
    = None,
    until: Annotated[str | None, typer.Option(help="Day after the last (YYYY-MM-DD); default: end of this period")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON")] = False,
) -> None:
    """Compute now (the platform's own indicators are stored first). Exit 1 when any computation failed."""
    from digigov.core.errors import DigigovError
    from digigov.platform.indicators import service

    try:
        first = date.fromisoformat(since) if since else None
        last = date.fromisoformat(until) if until else None
    except ValueError as exc:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {exc}") from exc
    results: list[dict[str, Any]] = []
    with support.store() as session:
        actor = Actor.operator()
        service.sync_platform(session, actor)
        codes = [code] if code else [i.code for i in service.list_indicators(session, actor) if i.enabled]
        with support.progress() as step:
            for n, c in enumerate(codes):
                step("indicators", n, len(codes))
                try:
                    with session.begin_nested():
                        r = service.compute(session, actor, c, since=first, until=last,
                                            progress=step if code else None)
                    results.append({"code": c, "ok": True, "run": r.run_id, "since": r.since.isoformat(),
                                    "until": r.until.isoformat(), "rows": r.rows, "values": r.written,
                                    "skipped": r.skipped})
                except DigigovError as exc:
                    if code and exc.http_status == 404:
                        raise
                    service.record_failure(session, actor, c, exc.message)
                    results.append({"code": c, "ok": False, "error": exc.message})
            step("indicators", len(codes), len(codes))
    if as_json:
        support.console.print_json(json.dumps(results, ensure_ascii=False))
    else:
        table = Table("code", "result", "window", "rows", "values", title="computed")
        for row in results:
            if row["ok"]:
                table.add_row(row["code"], "[green]ok[/green]", f"{row['since']} … {row['until']}",
                              f"{row['rows']:,}", f"{row['values']:,}")
            else:
                table.add_row(row["code"], f"[red]failed[/red]: {row['error']}", "", "", "")
        support.console.print(table)
    if any(not row["ok"] for row in results):
        raise typer.Exit(1)


@indicators_app.command("show")
def show_cmd(
    code: Annotated[str, typer.Argument(help="Indicator code")],
    region: Annotated[str, typer.Option(help="GB/T 2260 region code (province, city or county)")] = "330000",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON")] = False,
) -> None:
    """An indicator's definition, its series for a region, and its latest values by city or county."""
    from digigov.platform.indicators import service

    with support.store() as session:
        actor = Actor.operator()
        ind = service.get(session, actor, code)
        s = service.spec_of(ind)
        points = service.series(session, actor, code, region)
        level = "city" if region == "330000" else "county"
        within = region if region.endswith("00") else region[:4] + "00"
        values = service.by_region(session, actor, code, level, within=within)  # type: ignore[arg-type]
        names = service.region_names(session)
    data = {"code": code, "name": ind.name, "unit": s.unit, "description": s.description, "region": region,
            "series": [{"period": p.period.isoformat(), "value": p.value, "numerator": p.numerator,
                        "denominator": p.denominator, "colour": p.colour} for p in points],
            "by_region": {c: v for c, v in values.items()}}
    if as_json:
        support.console.print_json(json.dumps(data, ensure_ascii=False))
        return
    c = support.console
    c.print(f"[bold]{ind.name}[/bold] ({code}) · {names.get(region, (region,))[0]}")
    c.print(s.description)
    series = Table("period", "value", "numerator", "denominator", title="series")
    for p in points:
        series.add_row(p.period.isoformat(), _fmt(p.value, s.unit), str(p.numerator or ""), str(p.denominator or ""))
    c.print(series)
    table = Table("region", "value", title=f"by {level} (latest period)")
    for code_, value in values.items():
        table.add_row(f"{names.get(code_, (code_,))[0]} {code_}", _fmt(value, s.unit))
    c.print(table)
