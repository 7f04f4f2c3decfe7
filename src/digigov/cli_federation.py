"""`digigov federation ...`: this instance's federation identity, trust anchors, peers, and a ping to a peer
(跨域协同). `digigov audit verify` also verifies the federation message log through `verify_message_log`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from digigov import cli_support as support
from digigov.core.settings import get_settings
from digigov.identity.actor import Actor

federation_app = typer.Typer(help="Federation between regions (跨域协同): identity, trust anchors, peers.",
                             no_args_is_help=True)
anchor_app = typer.Typer(help="Trust anchors (信任锚): the signed files instances exchange to trust each other.",
                         no_args_is_help=True)
federation_app.add_typer(anchor_app, name="anchor")


def _when(value: object) -> str:
    return str(value or "")[:19]


@federation_app.command("init")
def init_cmd(
    instance_id: Annotated[str, typer.Option("--id", help="This instance's id, e.g. zj-quzhou")],
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 衢州市公共数据平台")],
    url: Annotated[str, typer.Option("--url", help="Base URL peers reach this instance at")],
) -> None:
    """Give this instance its federation identity and an Ed25519 key (again: change its name or URL)."""
    from digigov.platform.federation import service as federation

    settings = get_settings()
    with support.store() as s:
        me = federation.init(s, Actor.operator(), instance_id=instance_id, name=name, base_url=url, settings=settings)
        key_id = next(k.key_id for k in me.keys if k.status == "active")
        line = f"this instance is [bold]{me.instance_id}[/bold] ({me.name}, {me.base_url}); key {key_id}"
    support.console.print(line)
    support.console.print(f"private key kept in {federation.key_dir(settings)} (mode 0600); "
                          "give peers `digigov federation anchor export FILE`")


@federation_app.command("show")
def show_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """This instance's identity and keys."""
    from digigov.platform.federation import service as federation

    with support.store() as s:
        me = federation.self_instance(s)
        if me is None:
            support.err.print("federation is not initialised: run `digigov federation init --id … --name … --url …`")
            raise typer.Exit(1)
        key_rows = [{"key_id": k.key_id, "status": k.status, "added_at": _when(k.added_at),
                     "retired_at": _when(k.retired_at) or None} for k in me.keys]
        data = {"instance_id": me.instance_id, "name": me.name, "base_url": me.base_url, "keys": key_rows}
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    support.console.print(f"[bold]{data['instance_id']}[/bold] {data['name']} {data['base_url']}")
    for k in key_rows:
        support.console.print(f"  key {k['key_id']} {k['status']} since {k['added_at']}")


@federation_app.command("rotate-key")
def rotate_key_cmd() -> None:
    """Make a new key pair; the old public key stays so old log entries still verify. Peers then need the new
    anchor (imported with --replace)."""
    from digigov.platform.federation import service as federation

    with support.store() as s:
        key = federation.rotate_key(s, Actor.operator(), settings=get_settings())
        key_id = key.key_id
    support.console.print(f"new key {key_id}; export the anchor again and have each peer import it with --replace")


@anchor_app.command("export")
def anchor_export(
    path: Annotated[Path, typer.Argument(help="File to write ('-' for standard output)")],
    valid_days: Annotated[int | None, typer.Option(min=1, max=3650, help="Days the anchor is valid")] = None,
) -> None:
    """Write this instance's signed trust anchor for a peer's admin to import."""
    from digigov.platform.federation import service as federation

    with support.store() as s:
        anchor = federation.export_anchor(s, settings=get_settings(), valid_days=valid_days)
    text = json.dumps(anchor, ensure_ascii=False, indent=2) + "\n"
    if str(path) == "-":
        print(text, end="")
        return
    path.write_text(text, encoding="utf-8")
    support.console.print(f"trust anchor of [bold]{anchor['instance_id']}[/bold] written to {path} "
                          f"(valid until {anchor['valid_until'][:19]})")


@anchor_app.command("import")
def anchor_import(
    path: Annotated[Path, typer.Argument(help="A file written by `digigov federation anchor export`")],
    replace: Annotated[bool, typer.Option("--replace", help="Accept a changed key, or trust a revoked peer again")]
    = False,
) -> None:
    """Trust the instance an anchor names, after checking its self-signature (audited)."""
    from digigov.platform.federation import service as federation

    try:
        data = path.read_bytes()
    except OSError as exc:
        support.err.print(f"[red]error:[/red] cannot read {path}: {exc.strerror}")
        raise typer.Exit(1) from exc
    with support.store() as s:
        peer = federation.import_anchor(s, Actor.operator(), data, replace=replace, settings=get_settings())
        line = (f"now trusting [bold]{peer.instance_id}[/bold] ({peer.name}, {peer.base_url}) "
                f"until {_when(peer.valid_until)}; anchor SHA-256 {peer.anchor_sha256[:16]}…")
    support.console.print(line)


@federation_app.command("peers")
def peers_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """The instances this one trusts (or did, until revoked)."""
    from digigov.platform.federation import service as federation

    with support.store() as s:
        rows = [{"instance_id": p.instance_id, "name": p.name, "base_url": p.base_url,
                 "active_key": next((k.key_id for k in p.keys if k.status == "active"), None),
                 "keys": len(p.keys), "valid_until": _when(p.valid_until), "trusted_by": p.trusted_by,
                 "trusted_at": _when(p.trusted_at), "revoked_at": _when(p.revoked_at) or None,
                 "revoke_reason": p.revoke_reason}
                for p in federation.list_peers(s, Actor.operator())]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("实例 instance", "名称 name", "地址 base URL", "密钥 key", "有效期至 valid until", "吊销 revoked")
    for r in rows:
        table.add_row(str(r["instance_id"]), str(r["name"]), str(r["base_url"]), str(r["active_key"]),
                      str(r["valid_until"]), str(r["revoked_at"] or ""))
    support.console.print(table)


@federation_app.command("revoke")
def revoke_cmd(
    peer: Annotated[str, typer.Argument(help="The peer's instance id")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")] = "",
) -> None:
    """Stop trusting a peer: its next message is refused."""
    from digigov.platform.federation import service as federation

    with support.store() as s:
        federation.revoke_peer(s, Actor.operator(), peer, reason)
    support.console.print(f"{peer} revoked")


@federation_app.command("ping")
def ping_cmd(
    peer: Annotated[str, typer.Argument(help="The peer's instance id")],
    username: Annotated[str, typer.Option("--as", help="The user (and so the department) the ping is sent for")],
    purpose: Annotated[str, typer.Option(help="Purpose stated in the envelope")] = "connectivity check 连通性测试",
) -> None:
    """Send a signed `ping` to a peer and show its signed answer (both logged)."""
    from digigov.identity import service as identity
    from digigov.platform.federation import service as federation

    with support.store() as s:
        actor = Actor.from_user(identity.get_user(s, username), via="cli")
        reply = federation.send(s, actor, peer, "ping", {"echo": "ping"}, purpose, settings=get_settings())
    if not reply.ok:
        support.err.print(f"[red]{peer} did not answer the ping:[/red] {reply.reason} {reply.message} "
                          f"(HTTP {reply.status})")
        raise typer.Exit(1)
    support.console.print(f"{reply.body.get('instance')} answered at {reply.body.get('time')} (HTTP {reply.status}, "
                          "signature verified)")


@federation_app.command("log")
def log_cmd(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many rows, newest first")] = 20,
    peer: Annotated[str | None, typer.Option(help="Only the exchanges with this instance")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, envelopes included")] = False,
) -> None:
    """The federation message log, newest first."""
    from digigov.platform.federation import log

    with support.store() as s:
        rows = [log.as_json(r) for r in log.recent(s, Actor.operator(), limit=limit, peer=peer)]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("seq", "time", "dir", "peer", "kind", "result", "reason", "HTTP", "purpose")
    for r in rows:
        table.add_row(str(r["seq"]), str(r["at"])[:19], str(r["direction"]), str(r["peer"]), str(r["kind"]),
                      str(r["result"]), str(r["reason"]), str(r["status"]), str(r["purpose"])[:40])
    support.console.print(table)


def verify_message_log(session: Session) -> bool:
    """Verify the federation message log and say so; False (with the log's name and the row) when broken.
    Called by `digigov audit verify`."""
    from digigov.platform.federation import log

    result = log.verify(session, Actor.operator())
    if result.ok:
        support.console.print(f"[green]{log.LOG_NAME} intact[/green]: {result.checked} rows verified")
        return True
    support.err.print(f"[red]{log.LOG_NAME} broken[/red] at seq {result.first_bad_seq}: {result.reason} "
                      f"({result.checked} rows before it verified)")
    return False
