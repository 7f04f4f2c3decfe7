"""Backup and restore of the operational store, the same on SQLite and PostgreSQL.

A backup is one gzip file of JSON lines: a header (format, migration revision, time), then for each table
in dependency order a table line and its rows, then a footer with the row counts and the SHA-256 of every
line before it. Restore refuses a file whose digest or counts do not match, or whose revision differs from
the store's, and loads only into an empty store, in one transaction: all of it or nothing.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select, text

from digigov.core.clock import iso, utcnow
from digigov.core.errors import Conflict, InvalidInput
from digigov.migrations.models import metadata
from digigov.migrations.runner import current

FORMAT = "digigov-backup/1"
BATCH = 2000
Progress = Callable[[str, int, int], None]


def _tables() -> list[Table]:
    return list(metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": iso(value)}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$date":
            return date.fromisoformat(raw)
        if tag == "$b64":
            return base64.b64decode(raw)
    return value


def backup(engine: Engine, path: Path, progress: Progress | None = None) -> dict[str, int]:
    """Write every table of the store to `path`; returns the row count per table."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    with engine.connect() as conn, gzip.open(path, "wt", encoding="utf-8") as out:

        def emit(obj: dict[str, Any]) -> None:
            line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
            digest.update(line.encode("utf-8"))
            out.write(line + "\n")

        emit({"format": FORMAT, "revision": current(engine), "at": iso(utcnow())})
        for table in _tables():
            total = int(conn.scalar(select(func.count()).select_from(table)) or 0)
            emit({"table": table.name, "columns": [c.name for c in table.columns]})
            order = list(table.primary_key.columns) or list(table.columns)
            done = 0
            for row in conn.execute(select(table).order_by(*order)):
                emit({"row": [_encode(v) for v in row]})
                done += 1
                if progress and done % BATCH == 0:
                    progress(table.name, done, total)
            counts[table.name] = done
            if progress:
                progress(table.name, done, total)
        out.write(json.dumps({"end": counts, "sha256": digest.hexdigest()}) + "\n")
    return counts


def _lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            yield line, json.loads(line)


def verify_file(path: Path) -> dict[str, Any]:
    """Check a backup's digest and counts without loading it; returns its header and counts."""
    digest = hashlib.sha256()
    header: dict[str, Any] = {}
    counts: dict[str, int] = {}
    table = ""
    try:
        for line, obj in _lines(path):
            if "end" in obj:
                if obj["sha256"] != digest.hexdigest() or obj["end"] != counts:
                    raise InvalidInput(f"{path} is damaged: its digest or row counts do not match")
                return {**header, "counts": counts}
            digest.update(line.encode("utf-8"))
            if "format" in obj:
                header = obj
            elif "table" in obj:
                table = obj["table"]
                counts[table] = 0
            elif "row" in obj:
                counts[table] += 1
    except (OSError, EOFError, ValueError, KeyError) as exc:
        raise InvalidInput(f"{path} is not a readable digigov backup: {exc}") from exc
    raise InvalidInput(f"{path} is incomplete: it has no end line")


def restore(engine: Engine, path: Path, progress: Progress | None = None) -> dict[str, int]:
    """Load a verified backup into an empty store at the same revision, in one transaction."""
    info = verify_file(path)
    if info.get("format") != FORMAT:
        raise InvalidInput(f"{path} is not a {FORMAT} file")
    if info.get("revision") != current(engine):
        raise Conflict(f"the backup is at revision {info.get('revision')}, the store at {current(engine)}; "
                       "run `digigov db upgrade` to the backup's revision first")
    tables = {t.name: t for t in _tables()}
    with engine.begin() as conn:
        for t in tables.values():
            if conn.scalar(select(func.count()).select_from(t)):
                raise Conflict(f"the store is not empty (table {t.name} has rows); restore needs an empty store")
        table: Table | None = None
        columns: list[str] = []
        batch: list[dict[str, Any]] = []
        done = 0

        def flush() -> None:
            if table is not None and batch:
                conn.execute(insert(table), batch)
                batch.clear()

        for _line, obj in _lines(path):
            if "table" in obj:
                flush()
                table, columns, done = tables[obj["table"]], obj["columns"], 0
            elif "row" in obj and table is not None:
                batch.append(dict(zip(columns, (_decode(v) for v in obj["row"]), strict=True)))
                done += 1
                if len(batch) >= BATCH:
                    flush()
                    if progress:
                        progress(table.name, done, info["counts"][table.name])
        flush()
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, tables.values())
    return dict(info["counts"])


def _reset_sequences(conn: Any, tables: Any) -> None:
    """After inserting explicit ids, move each serial column's sequence past the largest id."""
    for t in tables:
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or pk[0].type.python_type is not int:
            continue
        seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": pk[0].name})
        if seq:
            top = conn.scalar(select(func.max(pk[0])))  # the table and column come from our own metadata
            conn.execute(text("SELECT setval(CAST(:seq AS regclass), :next, false)"),
                         {"seq": seq, "next": (top or 0) + 1})
