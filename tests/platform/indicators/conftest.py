"""A facts table of the test's own (rolled back with the test) that indicator SQL reads, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.orm import Session

from digigov.core.db import UTCDateTime
from digigov.identity.actor import Actor
from digigov.platform.indicators import service

FACTS = Table(
    "t_indicator_facts", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("region_code", String(6)),
    Column("happened_at", UTCDateTime),
    Column("ok", Integer),
    Column("days", Integer),
)

COUNT_SQL = ("SELECT region_code, happened_at AS period, 1 AS value FROM t_indicator_facts "
             "WHERE happened_at >= :since AND happened_at < :until")
RATE_SQL = ("SELECT region_code, happened_at AS period, ok AS numerator, 1 AS denominator FROM t_indicator_facts "
            "WHERE happened_at >= :since AND happened_at < :until")
AVG_SQL = ("SELECT region_code, happened_at AS period, days AS value FROM t_indicator_facts "
           "WHERE happened_at >= :since AND happened_at < :until")


def at(y: int, m: int, d: int, h: int = 4) -> datetime:
    """A UTC moment (04:00 UTC is noon in Beijing)."""
    return datetime(y, m, d, h, tzinfo=UTC)


@pytest.fixture
def facts(session: Session) -> Callable[[Sequence[tuple[str, datetime, int, int]]], None]:
    FACTS.create(bind=session.connection())

    def add(rows: Sequence[tuple[str, datetime, int, int]]) -> None:
        session.execute(FACTS.insert(), [{"region_code": r, "happened_at": t, "ok": ok, "days": days}
                                         for r, t, ok, days in rows])

    return add


@pytest.fixture
def define(session: Session) -> Callable[..., str]:
    """define(code, sql, **spec fields) stores a test indicator (app "tests") and returns its code."""

    def make(code: str, sql: str, **fields: Any) -> str:
        spec = {"code": code, "name": code, "description": "test indicator: counts facts", "sql": sql,
                "grain": "month", **fields}
        service.sync_app_indicators(session, Actor.operator(), "tests", [spec])
        return code

    return make
