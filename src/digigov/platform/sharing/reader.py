"""Warehouse reads of the serving path without opening the DuckDB file per call.

`Warehouse.connect` opens the file for each operation (about 20 ms: the database is loaded each time), which
alone would cap shared reads near 50 a second. While shared reads keep coming, this module keeps one
connection to the warehouse file open and hands each read a cursor of it (DuckDB's own per-thread connection
to the same database, well under a millisecond); after `sharing_warehouse_keepalive_seconds` without a read it
closes the connection, so the file is free again for a writer in another process (which otherwise waits, as
`Warehouse` already makes it wait, up to its lock timeout). `0` turns this off: every read opens the file.
In one process, a load through `Warehouse.connect` shares the open database and sees no difference.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from digigov.core.settings import get_settings
from digigov.core.warehouse import get_warehouse


class _Reader:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._path: Path | None = None
        self._users = 0
        self._last = 0.0
        self._watch: threading.Thread | None = None

    def _close_locked(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con, self._path = None, None

    def _watcher(self, keep: float) -> None:
        while True:
            time.sleep(min(1.0, max(0.05, keep / 4)))
            with self._lock:
                if self._con is None:
                    self._watch = None
                    return
                if self._users == 0 and time.monotonic() - self._last > keep:
                    self._close_locked()
                    self._watch = None
                    return

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        warehouse = get_warehouse()
        keep = get_settings().sharing_warehouse_keepalive_seconds
        cursor: duckdb.DuckDBPyConnection | None = None
        if keep > 0 and warehouse.path.exists():
            with self._lock:
                try:
                    if self._con is None or self._path != warehouse.path:
                        self._close_locked()
                        self._con, self._path = duckdb.connect(str(warehouse.path)), warehouse.path
                    cursor = self._con.cursor()
                    self._users += 1
                    if self._watch is None:
                        self._watch = threading.Thread(target=self._watcher, args=(keep,), daemon=True,
                                                       name="sharing-warehouse-keepalive")
                        self._watch.start()
                except duckdb.IOException:  # another process holds the file: the plain way waits for it
                    cursor = None
        if cursor is None:
            with warehouse.connect() as con:
                yield con
            return
        try:
            yield cursor
        finally:
            cursor.close()
            with self._lock:
                self._users -= 1
                self._last = time.monotonic()

    def close(self) -> None:
        with self._lock:
            self._close_locked()


reader = _Reader()
connect = reader.connect
