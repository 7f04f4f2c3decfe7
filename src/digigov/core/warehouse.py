"""The warehouse engine: one DuckDB file (under var/ by default) holding the departments' data.

Layers are DuckDB schemas: `staging` (a file being loaded), `raw` (as loaded), `clean` (validated and
normalised), `quarantine` (rows that failed, with their reasons), later `entity` and `topic`.
Each dataset version is its own table (`clean."ps_household__v3"`); the operational store says which
version is current, so a load becomes visible whole or not at all.

DuckDB lets one process write a file at a time. The web server and a `digigov ingest` in another
terminal take turns: a connection is opened per operation and closed after it, and opening waits
(retrying) while another process holds the file.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from digigov.core.errors import Conflict

LAYERS = ("staging", "raw", "clean", "quarantine", "entity", "topic")
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def ident(name: str) -> str:
    """Quote a DuckDB identifier (column names may be Chinese, so always quote)."""
    return '"' + name.replace('"', '""') + '"'


def table_ref(layer: str, name: str) -> str:
    """`layer."name"` for a layer in LAYERS and a table name of our own making."""
    if layer not in LAYERS:
        raise ValueError(f"unknown warehouse layer {layer!r}")
    if not _IDENT.match(name):
        raise ValueError(f"bad warehouse table name {name!r}")
    return f"{layer}.{ident(name)}"


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Warehouse:
    """A DuckDB warehouse file. `connect()` yields a connection; nested calls in one thread share it."""

    def __init__(self, path: Path | str, *, lock_timeout: float = 60.0, memory_limit: str | None = None) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.memory_limit = memory_limit
        self._local = threading.local()
        self._lock = threading.RLock()

    @property
    def temp_dir(self) -> Path:
        return self.path.parent / (self.path.stem + ".tmp")

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:  # another process holds the file
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise Conflict(
                        "the warehouse is busy (another process is writing it); try again shortly",
                        key="warehouse_busy",
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        con.execute(f"SET temp_directory = {sql_literal(str(self.temp_dir))}")
        if self.memory_limit:
            con.execute(f"SET memory_limit = {sql_literal(self.memory_limit)}")
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        for layer in LAYERS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
        return con

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one operation. The thread's outermost call opens the file and closes it."""
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            self._lock.acquire()
            try:
                self._local.con = self._open()
            except BaseException:
                self._lock.release()
                raise
        self._local.depth = depth + 1
        try:
            yield self._local.con
        finally:
            self._local.depth -= 1
            if self._local.depth == 0:
                con = self._local.con
                self._local.con = None
                try:
                    con.close()
                finally:
                    self._lock.release()

    def backup(self, dest: Path) -> str:
        """Checkpoint and copy the warehouse file to `dest`; returns the copy's SHA-256."""
        with self.connect() as con:
            con.execute("CHECKPOINT")
            shutil.copyfile(self.path, dest)
        return file_sha256(dest)

    def restore(self, source: Path, sha256: str | None = None) -> None:
        """Put a copy made by `backup` in place; refused when this warehouse already holds tables."""
        if sha256 is not None and file_sha256(source) != sha256:
            raise Conflict(f"{source} does not match its digest", key="warehouse_backup_corrupt")
        if self.path.exists():
            if not self.is_empty():
                raise Conflict("the warehouse is not empty; restore into a new one", key="warehouse_not_empty")
            self.path.unlink()
            Path(str(self.path) + ".wal").unlink(missing_ok=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, self.path)

    def is_empty(self) -> bool:
        return not self.path.exists() or not any(self.tables(layer) for layer in LAYERS)

    def tables(self, layer: str) -> list[str]:
        with self.connect() as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1", [layer]
            ).fetchall()
        return [r[0] for r in rows]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(4 * 1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


_current: Warehouse | None = None
_override: Warehouse | None = None


def get_warehouse() -> Warehouse:
    """The warehouse of the current settings (`DIGIGOV_WAREHOUSE_PATH`, default var/warehouse.duckdb)."""
    global _current
    from digigov.core.settings import get_settings

    if _override is not None:
        return _override
    settings = get_settings()
    path = settings.effective_warehouse_path
    if _current is None or _current.path != path:
        _current = Warehouse(path, lock_timeout=settings.warehouse_lock_timeout_seconds,
                             memory_limit=settings.warehouse_memory_limit or None)
    return _current


def set_warehouse(warehouse: Warehouse | None) -> None:
    """Use `warehouse` from now on (tests and embedding); None goes back to the settings."""
    global _override
    _override = warehouse
