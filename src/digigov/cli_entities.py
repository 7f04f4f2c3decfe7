"""`digigov entities ...`: link records into person and enterprise files (一人一档 / 一企一档) and show a file."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.table import Table

from digigov import cli_support as support
from digigov.identity.actor import Actor

entities_app = typer.Typer(help="Entity linkage: one file per person and per enterprise.", no_args_is_help=True)
USER_ENV = "DIGIGOV_CLI_USER"


def _actor(session: Any, username: str | None) -> Actor:
    """The CLI user: --as USER, else $DIGIGOV_CLI_USER, else the platform operator."""
    name = username or os.environ.get(USER_ENV, "")
    if not name:
        return Actor.operator()
    from digigov.identity import service as identity

    return Actor.from_user(identity.get_user(session, name), via="cli")


@entities_app.command("link")
def link_cmd(
    full: Annotated[bool, typer.Option("--full", help="Re-link everything (else only records not linked yet)")] = False,
    kind: Annotated[str | None, typer.Option("--kind", help="person or enterprise (default: both)")] = None,
    retrain: Annotated[bool, typer.Option("--retrain", help="Train the Splink model again")] = False,
) -> None:
    """Link the departments' records: valid IDs / USCCs exactly, the rest with Splink, then stewards' decisions."""
    from digigov.platform.entities import service as entities

    with support.store() as s, support.progress() as step:
        results = entities.link(s, Actor.operator(), kind=kind, full=full, retrain=retrain, progress=step)
    table = Table("kind", "mentions", "exact", "probabilistic", "alone", "steward", "files", "seconds")
    for r in results:
        table.add_row(r.kind, str(r.mentions), str(r.exact), str(r.probabilistic), str(r.alone), str(r.steward),
                      str(r.files), f"{r.seconds:.1f}")
    support.console.print(table)


@entities_app.command("show")
def show_cmd(
    key: Annotated[str, typer.Argument(help="A citizen ID, a USCC or a file id")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    user: Annotated[str | None, typer.Option("--as", help=f"Show as this user (default ${USER_ENV})")] = None,
) -> None:
    """Print the file of KEY with the sections the CLI user's department may see (audited)."""
    from digigov.core.errors import NotFound
    from digigov.platform.entities import service as entities

    with support.store() as s:
        actor = _actor(s, user)
        kind, file_id = _locate(key)
        if kind is None:
            raise typer.BadParameter("not a valid citizen ID, USCC or file id")
        try:
            view = entities.file_view(s, actor, kind, file_id, purpose="cli")
        except NotFound:
            support.err.print(f"[red]no file for {key}[/red]")
            raise typer.Exit(1) from None
        data: dict[str, Any] = {
            "kind": view.kind, "file_id": view.file_id, "records": view.records, "golden": view.golden,
            "sections": [{"dataset": sec.dataset, "role": sec.role, "label": sec.label, "owner": sec.owner,
                          "visible": sec.visible, "basis": sec.basis, "records": sec.records,
                          "columns": sec.columns,
                          "rows": [{"record": r.record, "layer": r.layer, "method": r.method, "weight": r.weight,
                                    "evidence": r.evidence, "values": r.values} for r in sec.rows]}
                         for sec in view.sections],
        }
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    support.console.print(f"[bold]{data['file_id']}[/bold] ({kind}, {data['records']} records)")
    for attr, value in data["golden"].items():
        support.console.print(f"  {attr}: {value if value is not None else '—'}")
    for sec in data["sections"]:
        if not sec["visible"]:
            support.console.print(f"[dim]{sec['label']} · {sec['owner']}: {sec['records']} records (no grant)[/dim]")
            continue
        table = Table(*["#", "method", *sec["columns"]], title=f"{sec['label']} · {sec['owner']}")
        for r in sec["rows"]:
            table.add_row(str(r["record"]), r["method"], *[str(v) if v is not None else "" for v in r["values"]])
        support.console.print(table)


def _locate(key: str) -> tuple[str | None, str]:
    from digigov.platform.entities import service as entities

    key = key.strip()
    if key[:1] in ("P", "E") and len(key) in (17, 18) and not key[1:].isdigit():
        return ("person" if key[0] == "P" else "enterprise"), key
    for kind in ("person", "enterprise"):
        file_id = entities.resolve(kind, key)
        if file_id:
            return kind, file_id
    return None, ""
