"""`digigov rules ...`: early-warning rules (预警规则) from the shell: list, show, add from YAML, enable or
disable, run (or dry-run) one, and run every rule whose schedule is due."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from digigov import cli_support as support
from digigov.identity.actor import Actor

rules_app = typer.Typer(help="Early-warning rules and their signals (预警规则).", no_args_is_help=True)

SEVERITY_STYLE = {"red": "bold red", "orange": "dark_orange", "yellow": "yellow", "blue": "blue"}


def _print_json(data: Any) -> None:
    support.console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@rules_app.command("list")
def rules_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every rule: kind, severity, department, schedule, state and version."""
    from digigov.platform.rules import schedule
    from digigov.platform.rules import service as rules

    with support.store() as session:
        rows: list[dict[str, Any]] = [{"code": r.code, "name": r.name, "kind": r.kind, "severity": r.severity,
                 "department": r.department.code if r.department else None, "schedule": r.schedule,
                 "enabled": r.enabled, "version": r.current_version, "app": r.app,
                 "last_run_at": r.last_run_at.isoformat() if r.last_run_at else None,
                 "next_run_at": (n.isoformat() if (n := schedule.next_run(r)) else None)}
                for r in rules.list_rules(session, Actor.operator())]
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"{len(rows)} rules")
    for col in ("code", "name", "kind", "severity", "department", "schedule", "state", "v"):
        table.add_column(col, no_wrap=col in ("code", "schedule"))
    for r in rows:
        table.add_row(r["code"], r["name"], r["kind"], f"[{SEVERITY_STYLE.get(r['severity'], '')}]{r['severity']}[/]",
                      r["department"] or "(column)", r["schedule"] or "-",
                      "[green]enabled[/green]" if r["enabled"] else "disabled", str(r["version"]))
    support.console.print(table)


@rules_app.command("show")
def rules_show(code: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A rule's current text, its versions and its recent runs."""
    from digigov.platform.rules import service as rules

    op = Actor.operator()
    with support.store() as session:
        rule = rules.get_rule(session, op, code)
        info: dict[str, Any] = {"code": rule.code, "name": rule.name, "kind": rule.kind, "enabled": rule.enabled,
                "version": rule.current_version, "app": rule.app,
                "versions": [{"version": v.version, "source": v.source, "by": v.created_by,
                              "at": v.created_at.isoformat(), "note": v.note, "text": v.text}
                             for v in rules.versions(session, op, code)],
                "runs": [{"id": r.id, "at": r.started_at.isoformat(), "trigger": r.trigger, "rows": r.rows,
                          "new_signals": r.new_signals, "updated_signals": r.updated_signals, "error": r.error}
                         for r in rules.recent_runs(session, op, code, limit=10)]}
    if as_json:
        _print_json(info)
        return
    c = support.console
    c.print(f"[bold]{info['code']}[/bold] {info['name']} · {info['kind']} · v{info['version']} · "
            f"{'enabled' if info['enabled'] else 'disabled'} · {info['app'] or 'console'}")
    current = next(v for v in info["versions"] if v["version"] == info["version"])
    c.print(current["text"], markup=False, highlight=False)
    c.print("versions: " + ", ".join(f"v{v['version']} ({v['source']}, {v['by']})" for v in info["versions"]))
    for r in info["runs"]:
        c.print(f"run {r['id']} {r['at'][:19]} {r['trigger']}: rows {r['rows']}, new {r['new_signals']}, "
                f"updated {r['updated_signals']}" + (f" [red]{r['error']}[/red]" if r["error"] else ""))


def _specs_in(path: Path) -> list[Any]:
    """One rule, a list of rules, or `rules: [...]` in a YAML file; single rules keep their text as written."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise typer.BadParameter(f"{path} is not YAML: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("rules"), list):
        return list(data["rules"])
    if isinstance(data, list):
        return data
    return [text]


@rules_app.command("add")
def rules_add(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="YAML file of rules")],
    note: Annotated[str, typer.Option(help="What changed (kept with the version)")] = "",
) -> None:
    """Add the rules in FILE, or save them as new versions (unchanged ones are left alone)."""
    from digigov.platform.rules import service as rules

    with support.store() as session:
        for source in _specs_in(file):
            rule = rules.save_rule(session, Actor.operator(), source, note=note)
            support.console.print(f"{rule.code}: version {rule.current_version} "
                                  f"({'enabled' if rule.enabled else 'disabled'})")


def _switch(code: str, enabled: bool) -> None:
    from digigov.platform.rules import service as rules

    with support.store() as session:
        rule = rules.set_enabled(session, Actor.operator(), code, enabled)
        support.console.print(f"{rule.code}: {'enabled' if rule.enabled else 'disabled'}")


@rules_app.command("enable")
def rules_enable(code: str) -> None:
    """Enable a rule (batch rules then run on their schedule; event rules listen)."""
    _switch(code, True)


@rules_app.command("disable")
def rules_disable(code: str) -> None:
    """Disable a rule."""
    _switch(code, False)


@rules_app.command("run")
def rules_run(
    code: str,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the hits; write only the audit record")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Rows shown by a dry run")] = 20,
) -> None:
    """Run a batch rule now (exit 1 when it fails), or dry-run any rule on current data."""
    from digigov.platform.rules import service as rules

    with support.store() as session, support.console.status(f"{'dry run' if dry_run else 'running'} {code} …"):
        if dry_run:
            d = rules.dry_run(session, Actor.operator(), code, limit=limit)
            out: dict[str, Any] = {"rule": d.rule, "kind": d.kind, "rows": d.row_count, "scanned": d.scanned,
                                   "seconds": d.seconds, "error": d.error, "new_signals": d.new_signals,
                                   "signals": [{"subject": h.subject_key, "severity": h.severity, "title": h.title,
                                                "rows": h.row_count, "department": h.department_code,
                                                "new": h.subject_key not in d.open_subjects} for h in d.signals],
                                   "sample": d.rows[:limit]}
        else:
            r = rules.run_rule(session, Actor.operator(), code)
            out = {"rule": r.rule, "version": r.version, "run": r.run_id, "rows": r.rows, "hits": r.hits,
                   "new_signals": r.new_signals, "updated_signals": r.updated_signals, "seconds": r.seconds,
                   "error": r.error}
    if as_json:
        _print_json(out)
    else:
        _print_run(out, dry_run)
    if out.get("error"):
        raise typer.Exit(1)


def _print_run(out: dict[str, Any], dry_run: bool) -> None:
    c = support.console
    if out.get("error"):
        c.print(f"[red]{out['rule']} failed:[/red] {out['error']}")
        return
    if not dry_run:
        c.print(f"{out['rule']} v{out['version']}: {out['rows']} rows, {out['hits']} subjects hit, "
                f"{out['new_signals']} new signals, {out['updated_signals']} updated ({out['seconds']}s)")
        return
    c.print(f"dry run of {out['rule']}: {out['rows']} rows, {len(out['signals'])} signals would be raised or updated "
            f"({out['new_signals']} new); nothing was written")
    table = Table("severity", "subject", "title", "rows", "department", "new")
    for s in out["signals"]:
        table.add_row(f"[{SEVERITY_STYLE.get(s['severity'], '')}]{s['severity']}[/]", s["subject"], s["title"],
                      str(s["rows"]), s["department"] or "-", "yes" if s["new"] else "update")
    c.print(table)


@rules_app.command("due")
def rules_due(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Run every enabled batch rule whose cron schedule is due (what the worker does each round)."""
    from digigov.core.db import make_session_factory
    from digigov.core.settings import get_settings
    from digigov.migrations.runner import upgrade
    from digigov.platform.rules import schedule

    engine = support.engine_for(get_settings())
    try:
        upgrade(engine)
        with support.console.status("running due rules …"):
            runs = schedule.run_due(make_session_factory(engine))
    finally:
        engine.dispose()
    out = [{"rule": r.rule, "rows": r.rows, "new_signals": r.new_signals, "updated_signals": r.updated_signals,
            "error": r.error} for r in runs]
    if as_json:
        _print_json(out)
        return
    if not out:
        support.console.print("no rule is due")
    for r in out:
        support.console.print(f"{r['rule']}: {r['rows']} rows, {r['new_signals']} new, {r['updated_signals']} updated"
                              + (f" [red]{r['error']}[/red]" if r["error"] else ""))
