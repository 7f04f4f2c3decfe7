"""The `digigov` command. Entry points only translate: parse, call a service, print."""

from __future__ import annotations

import copy
import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from digigov import cli_cases, cli_datasets
from digigov import cli_support as support
from digigov.cli_calendar import bus_app, calendar_app
from digigov.cli_entities import entities_app
from digigov.cli_federation import federation_app, verify_message_log
from digigov.cli_indicators import indicators_app
from digigov.cli_open311 import open311_app
from digigov.cli_rules import rules_app
from digigov.core.db import make_session_factory, unit_of_work
from digigov.core.errors import Conflict, DigigovError
from digigov.core.settings import get_settings
from digigov.identity.actor import Actor

app = typer.Typer(help="digigov: the integrated public data platform (一体化智能化公共数据平台).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The operational store.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(cli_datasets.datasets_app, name="datasets")
app.add_typer(cli_cases.cases_app, name="cases")
app.add_typer(open311_app, name="open311")
app.add_typer(rules_app, name="rules")
app.add_typer(indicators_app, name="indicators")
app.add_typer(calendar_app, name="calendar")
app.add_typer(bus_app, name="bus")
app.add_typer(federation_app, name="federation")
app.add_typer(entities_app, name="entities")
app.command("worker")(cli_cases.worker_cmd)
app.command("ingest")(cli_datasets.ingest_cmd)

console, err = support.console, support.err
_engine, _store, _progress = support.engine_for, support.store, support.progress


# ---------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply the store's migrations up to REVISION (default: head)."""
    from digigov.migrations.runner import current, upgrade

    settings = get_settings()
    engine = _engine(settings)
    upgrade(engine, revision)
    console.print(f"store at revision [bold]{current(engine)}[/bold] ({engine.url.render_as_string()})")
    engine.dispose()


# ---------------------------------------------------------------- users


@users_app.command("create")
def users_create(
    username: str,
    department: Annotated[str, typer.Option("--department", "-d", help="Department code, e.g. 330100-civil_affairs")],
    role: Annotated[list[str], typer.Option("--role", "-r", help="platform_admin, data_steward, officer, "
                                                                "approver or auditor; repeat for several")],
    name: Annotated[str, typer.Option("--name", help="Display name")] = "",
    password: Annotated[str | None, typer.Option(help="Read from a prompt when omitted")] = None,
) -> None:
    """Create a user in a department with one or more roles."""
    from digigov.identity import service as identity

    if password is None:
        password = getpass.getpass("password: ")
    with _store() as s:
        user = identity.create_user(s, Actor.operator(), username=username, display_name=name or username,
                                    password=password, department=department, roles=role)
        console.print(f"created [bold]{user.username}[/bold] in {user.department.name} "
                      f"with roles {', '.join(sorted(user.roles))}")


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List users with their department and roles."""
    from digigov.identity import service as identity

    with _store() as s:
        rows, _ = identity.list_users(s, Actor.operator(), limit=10_000)
        data: list[dict[str, Any]] = [{"username": u.username, "name": u.display_name, "department": u.department.code,
                 "department_name": u.department.name, "roles": sorted(u.roles), "active": u.active}
                for u in rows]
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table("用户名 username", "姓名 name", "部门 department", "角色 roles", "启用 active")
    for d in data:
        table.add_row(d["username"], d["name"], d["department_name"], ", ".join(d["roles"]), str(d["active"]))
    console.print(table)


# ---------------------------------------------------------------- tokens


@tokens_app.command("create")
def tokens_create(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
    expires_days: Annotated[int | None, typer.Option(help="Days until it expires; none = until revoked")] = None,
) -> None:
    """Create a bearer token for USERNAME and print it once (only its hash is stored)."""
    from digigov.identity import service as identity

    with _store() as s:
        tok, secret = identity.create_token(s, Actor.operator(), username, name=name, expires_days=expires_days)
        token_id = tok.id
    err.print(f"token {token_id} for {username} (send as 'Authorization: Bearer …'; shown once):")
    print(secret)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by its id; it stops working on the next request."""
    from digigov.identity import service as identity

    with _store() as s:
        identity.revoke_token(s, Actor.operator(), token_id)
    console.print(f"token {token_id} revoked")


@tokens_app.command("list")
def tokens_list(username: str) -> None:
    """List a user's tokens (ids, names, prefixes, state)."""
    from digigov.identity import service as identity

    with _store() as s:
        table = Table("id", "name", "prefix", "created", "expires", "revoked", "last used")
        for t in identity.list_tokens(s, Actor.operator(), username):
            table.add_row(str(t.id), t.name, t.prefix + "…", str(t.created_at)[:19], str(t.expires_at or "")[:19],
                          str(t.revoked_at or "")[:19], str(t.last_used_at or "")[:19])
    console.print(table)


# ---------------------------------------------------------------- audit


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the hash chain and name the first record that does not verify (exit 1 if any)."""
    from digigov.audit import service as audit

    with _store() as s:
        total = audit.count(s)
        with Progress(TextColumn("verifying audit chain"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("verify", total=max(total, 1))
            result = audit.verify(s, Actor.operator(), progress=lambda n: progress.update(task, completed=n))
        message_log_ok = verify_message_log(s)  # the federation message log is hash-chained too
    if result.ok:
        console.print(f"[green]audit chain intact[/green]: {result.checked} records verified")
        if not message_log_ok:
            raise typer.Exit(1)
        return
    err.print(f"[red]audit chain broken[/red] at record {result.first_bad_seq}: {result.reason} "
              f"({result.checked} records before it verified)")
    raise typer.Exit(1)


# ---------------------------------------------------------------- backup and restore


@app.command("backup")
def backup_cmd(path: Annotated[Path, typer.Argument(help="File to write, e.g. digigov-2026-11-28.jsonl.gz")]) -> None:
    """Write the whole store to one file (gzip JSON lines with a SHA-256 digest)."""
    from digigov.core.warehouse import get_warehouse
    from digigov.migrations.backup import backup
    from digigov.migrations.runner import upgrade

    engine = _engine(get_settings())
    upgrade(engine)
    with _progress() as step:
        counts = backup(engine, path, progress=step)
    engine.dispose()
    console.print(f"backup written to [bold]{path}[/bold]: {sum(counts.values())} rows in {len(counts)} tables")
    wh = get_warehouse()
    if wh.path.exists():
        copy = _warehouse_copy(path)
        digest = wh.backup(copy)
        copy.with_name(copy.name + ".sha256").write_text(digest + "\n", encoding="utf-8")
        console.print(f"warehouse copied to [bold]{copy}[/bold] (SHA-256 {digest[:12]}…)")


def _warehouse_copy(path: Path) -> Path:
    """The warehouse's file beside a store backup: digigov-2026.jsonl.gz -> digigov-2026.warehouse.duckdb."""
    name = path.name.removesuffix(".gz").removesuffix(".jsonl")
    return path.with_name(name + ".warehouse.duckdb")


@app.command("restore")
def restore_cmd(path: Annotated[Path, typer.Argument(help="A file written by `digigov backup`")]) -> None:
    """Load a backup into an empty store, all or nothing, then verify the audit chain."""
    from digigov.audit import service as audit
    from digigov.core.warehouse import get_warehouse
    from digigov.migrations.backup import restore
    from digigov.migrations.runner import upgrade

    engine = _engine(get_settings())
    copy = _warehouse_copy(path)
    try:
        upgrade(engine)
        wh = get_warehouse()
        if copy.exists() and not wh.is_empty():  # refuse before the store changes
            raise Conflict("the warehouse is not empty; restore into a new one", key="warehouse_not_empty")
        with _progress() as step:
            counts = restore(engine, path, progress=step)
        if copy.exists():
            digest_file = copy.with_name(copy.name + ".sha256")
            wh.restore(copy, digest_file.read_text(encoding="utf-8").strip() if digest_file.exists() else None)
        with unit_of_work(make_session_factory(engine)) as s:
            result = audit.verify(s, Actor.operator())
    except DigigovError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if copy.exists():
        console.print(f"warehouse restored from [bold]{copy}[/bold]")
    console.print(f"restored {sum(counts.values())} rows in {len(counts)} tables from [bold]{path}[/bold]; "
                  f"audit chain {'intact' if result.ok else 'BROKEN at record ' + str(result.first_bad_seq)}")
    if not result.ok:
        raise typer.Exit(1)


# ---------------------------------------------------------------- demo and serve


def _print_users(users: list[Any], host: str, port: int) -> None:
    table = Table(title="demo users 演示账号")
    table.add_column("用户名 username", no_wrap=True)
    table.add_column("密码 password", no_wrap=True)
    table.add_column("角色 roles")
    table.add_column("部门 department")
    for u in users:
        table.add_row(u.username, u.password, ", ".join(u.roles), u.department)
    console.print(table)
    console.print(f"open [bold]http://{host}:{port}/[/bold] and log in, e.g. as "
                  f"[bold]{users[0].username}[/bold] / [bold]{users[0].password}[/bold]")


@app.command()
def demo(
    scale: Annotated[str, typer.Option(help="small, medium or large")] = "medium",
    seed: Annotated[int, typer.Option(help="Seed of the generated province")] = 2021,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the console when built")] = True,
    host: Annotated[str | None, typer.Option(help="Address to serve on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to serve on")] = None,
    data: Annotated[bool, typer.Option("--data/--no-data", help="Load the departments' data into the warehouse")]
    = True,
) -> None:
    """Build the demo province (浙江省, 11 cities, 90 counties), load its departments' data, and serve."""
    from digigov import worker
    from digigov.demo.builder import build

    if scale not in ("small", "medium", "large"):
        err.print("error: --scale must be small, medium or large")
        raise typer.Exit(2)
    settings = get_settings()
    with _store() as s, _progress() as step:
        report = build(s, Actor.operator(), scale=scale, seed=seed, progress=step,
                       data_dir=settings.var_dir / "demo-data" / scale if data else None)
    engine = _engine(settings)
    try:  # what the build published, delivered now rather than queued behind the first requests
        with _progress() as step:
            worker.drain_backlog(make_session_factory(engine), lambda d, t: step("events", d, t))
    finally:
        engine.dispose()
    if report.data:
        loaded = sum(int(r["rows_in"]) for r in report.data.loads.values())
        console.print(f"department data: {len(report.data.loads)} datasets, {loaded:,} rows in "
                      f"(see `digigov datasets list`)")
    if report.entities:
        console.print("entity files: " + ", ".join(f"{k} {v:,}" for k, v in report.entities.items())
                      + " (see /entities or `digigov entities show ID`)")
    counts = ", ".join(f"{k} {v}" for k, v in report.counts.items())
    console.print(f"demo province ready ({scale}, seed {seed}): {counts} in {report.elapsed:.1f}s")
    host = host or settings.host
    port = port or settings.port
    _print_users(report.users, host, port)
    if serve_after:
        serve(host=host, port=port)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the web console and the API."""
    import uvicorn

    settings = get_settings()
    from digigov.migrations.runner import upgrade

    engine = _engine(settings)
    upgrade(engine)
    engine.dispose()
    uvicorn.run("digigov.web.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, log_config=_log_config(), access_log=False)


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, plus digigov's JSON lines (the access log replaces uvicorn's plain one)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_lines"] = {"format": "%(message)s"}
    config["handlers"]["json_lines"] = {"class": "logging.StreamHandler", "formatter": "json_lines",
                                        "stream": "ext://sys.stdout"}
    config["loggers"]["digigov"] = {"handlers": ["json_lines"], "level": "INFO", "propagate": False}
    return config


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
