"""`digigov ingest` and `digigov datasets ...`: department data into the warehouse, and what it holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from digigov import cli_support as support
from digigov.identity.actor import Actor
from digigov.platform.warehouse.model import Dataset

datasets_app = typer.Typer(help="Governed datasets in the warehouse (数据集).", no_args_is_help=True)


def _parse_map(pairs: list[str]) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        header, sep, element = pair.partition("=")
        if not sep or not header.strip():
            raise typer.BadParameter(f"--map takes HEADER=ELEMENT (ELEMENT empty for none), got {pair!r}")
        mapping[header.strip()] = element.strip() or None
    return mapping


def ingest_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, TSV, XLSX, JSON, NDJSON or Parquet file", exists=True,
                                         dir_okay=False, readable=True)],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset code, e.g. ps_household")],
    department: Annotated[str | None, typer.Option(help="Owner department code (first load of a new dataset)")] = None,
    name: Annotated[str | None, typer.Option(help="Dataset name (first load of a new dataset)")] = None,
    frequency: Annotated[str, typer.Option(help="Promised update frequency: 实时 每日 每周 每月 每季度 每年 不定期")]
    = "不定期",
    file_format: Annotated[str | None, typer.Option("--format", help="Override the detected format")] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="HEADER=ELEMENT, overrides the suggestion")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the load report as JSON")] = False,
) -> None:
    """Load FILE as the next version of DATASET and print the load report (exit 1 when refused)."""
    from digigov.platform.ingest import service as ingest
    from digigov.platform.warehouse import service as warehouse

    mapping = _parse_map(map_ or [])
    with support.store() as session:
        actor = Actor.operator()
        existing = session.scalar(select(Dataset).where(Dataset.code == dataset))
        if existing is None:
            if not department:
                support.err.print(f"[red]error:[/red] dataset {dataset} does not exist yet: give --department "
                                  "(and --name) for its first load")
                raise typer.Exit(2)
            ingest.ensure_dataset(session, actor, ingest.DatasetSpec(
                code=dataset, name=name or dataset, department=department, update_frequency=frequency))
        with support.progress() as step:
            load = ingest.ingest(session, actor, dataset, file, mapping=mapping or None, file_format=file_format,
                                 progress=step)
        report = warehouse.load_json(load)
        report["mapping"] = {h: load.mapping.get(c) for h, c in zip(load.headers, load.columns, strict=True)}
    if as_json:
        support.console.print_json(json.dumps(report, ensure_ascii=False))
        return
    _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    c = support.console
    state = {"committed": "[green]loaded[/green]", "unchanged": "[yellow]unchanged (same file)[/yellow]"}
    c.print(f"load {report['id']}: {state.get(report['state'], report['state'])} → version {report['version']}")
    c.print(f"file {report['file']} ({report['format']}, {report['encoding'] or '-'}, {report['bytes']:,} bytes)")
    c.print(f"rows in {report['rows_in']:,} = accepted {report['accepted']:,} + quarantined {report['quarantined']:,}")
    if report["reasons"]:
        table = Table("quarantine reason", "rows", title="quarantined by reason")
        for reason, rows in report["reasons"].items():
            table.add_row(reason, f"{rows:,}")
        c.print(table)
    mapping = Table("header", "data element", title="mapping")
    for header, element in report["mapping"].items():
        mapping.add_row(header, element or "-")
    c.print(mapping)
    if report.get("quality_score") is not None:
        c.print(f"quality score {report['quality_score']}")


@datasets_app.command("list")
def datasets_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every dataset with its owner, rows, grade and quality score."""
    from digigov.platform.warehouse import service as warehouse

    with support.store() as session:
        rows: list[dict[str, Any]] = [{
                 "code": d.code, "name": d.name, "owner": d.owner.name, "layer": d.layer, "version": d.current_version,
                 "rows": d.row_count, "grade": d.grade, "gb_level": d.gb_level, "quality_score": d.quality_score,
                 "last_load_at": d.last_load_at.isoformat() if d.last_load_at else None}
                for d in warehouse.list_datasets(session, Actor.operator())]
    if as_json:
        support.console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} datasets")
    table.add_column("code", no_wrap=True)
    table.add_column("name")
    table.add_column("owner")
    for col in ("rows", "grade", "quality"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("last load", no_wrap=True)
    for r in rows:
        table.add_row(r["code"], r["name"], r["owner"], f"{r['rows']:,}", r["grade"],
                      "-" if r["quality_score"] is None else f"{r['quality_score']:.1f}",
                      (r["last_load_at"] or "-")[:16].replace("T", " "))
    support.console.print(table)


@datasets_app.command("show")
def datasets_show(dataset: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A dataset's fields (data elements, detected types, hit rates, tags, grades, quality) and last load."""
    from digigov.platform.warehouse import service as warehouse

    with support.store() as session:
        info = warehouse.describe(session, Actor.operator(), dataset)
    if as_json:
        support.console.print_json(json.dumps(info, ensure_ascii=False))
        return
    c = support.console
    c.print(f"[bold]{info['code']}[/bold] {info['name']} · {info['owner']['name']} · catalogue {info['catalog_code']}")
    c.print(f"version {info['version']} · {info['rows']:,} rows · grade {info['grade']} ({info['gb_level']}) · "
            f"quality {info['quality_score'] if info['quality_score'] is not None else '-'} · "
            f"update {info['update_frequency']} · last load {info['last_load_at'] or '-'}")
    table = Table()
    table.add_column("field", no_wrap=True)
    table.add_column("element", no_wrap=True)
    table.add_column("detected (hit rate)")
    for col in ("grade", "fill", "quality"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("data object")
    for f in info["fields"]:
        detected = ", ".join(f"{h['element']} {h['rate']:.0%}" for h in f["detected"][:3]) or "-"
        grade = f["grade"] + ("*" if f["override"] else "")
        table.add_row(f["header"], f["element"] or "-", detected, grade,
                      "-" if f["fill_rate"] is None else f"{f['fill_rate']:.0%}",
                      "-" if f["quality_score"] is None else f"{f['quality_score']:.1f}",
                      "、".join(f["tags"].get("data_object", [])) or "-")
    c.print(table)
    if any(f["override"] for f in info["fields"]):
        c.print("* grade set by the data steward: " + "; ".join(
            f"{f['header']} {f['override']['reason']} ({f['override']['by']})"
            for f in info["fields"] if f["override"]))
    if info["last_load"]:
        last = info["last_load"]
        c.print(f"last load {last['id']}: {last['file']} rows in {last['rows_in']:,} = accepted {last['accepted']:,}"
                f" + quarantined {last['quarantined']:,} {json.dumps(last['reasons'], ensure_ascii=False)}")
