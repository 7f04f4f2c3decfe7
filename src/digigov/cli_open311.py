"""`digigov open311 keys ...`: the API keys partner systems send when they POST 民呼我为 service
requests through the Open311 GeoReport v2 API."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from digigov import cli_support as support
from digigov.identity.actor import Actor

open311_app = typer.Typer(help="The Open311 GeoReport v2 API of 民呼我为.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for posting service requests.", no_args_is_help=True)
open311_app.add_typer(keys_app, name="keys")


def _when(value: object) -> str:
    return str(value or "")[:19]


@keys_app.command("create")
def keys_create(name: Annotated[str, typer.Argument(help="Who holds the key, e.g. xihu-grid")]) -> None:
    """Make an API key for NAME and print it once (only its SHA-256 is stored)."""
    from digigov.apps.digital_society.people_call_we_act import open311_keys

    with support.store() as s:
        key, secret = open311_keys.create_key(s, Actor.operator(), name)
        key_id = key.id
    support.err.print(f"Open311 API key {key_id} for {name} (send as api_key=…; shown once):")
    print(secret)


@keys_app.command("list")
def keys_list(
    active: Annotated[bool, typer.Option("--active", help="Only keys that are not revoked")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List the keys: id, name, prefix, who made them, when, and whether they are revoked."""
    from digigov.apps.digital_society.people_call_we_act import open311_keys

    with support.store() as s:
        keys = open311_keys.list_keys(s, Actor.operator(), include_revoked=not active)
        rows = [{"id": k.id, "name": k.name, "prefix": k.prefix, "created_by": k.created_by,
                 "created_at": _when(k.created_at), "revoked_at": _when(k.revoked_at) or None,
                 "last_used_at": _when(k.last_used_at) or None} for k in keys]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("id", "name", "prefix", "created by", "created", "revoked", "last used")
    for r in rows:
        table.add_row(str(r["id"]), str(r["name"]), f"{r['prefix']}…", str(r["created_by"]), str(r["created_at"]),
                      str(r["revoked_at"] or ""), str(r["last_used_at"] or ""))
    support.console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `keys list`)")]) -> None:
    """Revoke a key; the next request that sends it is refused."""
    from digigov.apps.digital_society.people_call_we_act import open311_keys

    with support.store() as s:
        key = open311_keys.revoke_key(s, Actor.operator(), key_id)
        name = key.name
    support.console.print(f"Open311 API key {key_id} ({name}) revoked")
