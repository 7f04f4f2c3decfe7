"""What every `digigov` command shares: the consoles, a migrated store in one transaction, progress bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.errors import DigigovError
from digigov.core.settings import Settings, get_settings

console = Console()
err = Console(stderr=True)


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.effective_database_url)


@contextmanager
def store(upgrade_first: bool = True) -> Iterator[Session]:
    """A migrated store and one transaction; a DigigovError exits 1 with its message."""
    settings = get_settings()
    engine = engine_for(settings)
    try:
        if upgrade_first:
            from digigov.migrations.runner import upgrade

            upgrade(engine)
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    except DigigovError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


@contextmanager
def progress() -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress display and a callback `step(name, done, total)` that drives one bar per step."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def step(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=max(total, 1))
            progress.update(tasks[name], completed=done, total=max(total, 1))

        yield step
