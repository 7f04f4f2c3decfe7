"""Computing indicators on the store (SQLite and PostgreSQL) and the warehouse: roll-up arithmetic, history
across recomputes, Beijing-time periods, clear errors for broken SQL, schedules, permissions and syncing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.platform.indicators.conftest import AVG_SQL, COUNT_SQL, RATE_SQL, at

from digigov.audit.model import AuditRecord
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.warehouse import get_warehouse
from digigov.identity.actor import Actor
from digigov.platform.indicators import service
from digigov.platform.indicators.model import Indicator, IndicatorRun, IndicatorValue

OP = Actor.operator()
MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


def test_a_ratio_rolls_up_by_numerator_and_denominator_not_by_averaging(session, facts, define) -> None:
    # 西湖区 1 of 1 (100%), 滨江区 1 of 9 (11.1%), 海曙区 (Ningbo) 3 of 10
    facts([("330106", at(2026, 3, 5), 1, 0)]
          + [("330108", at(2026, 3, 6), 1 if i == 0 else 0, 0) for i in range(9)]
          + [("330203", at(2026, 3, 7), 1 if i < 3 else 0, 0) for i in range(10)])
    code = define("t.rate", RATE_SQL, aggregate="ratio", unit="%")
    result = service.compute(session, OP, code, since=MARCH, until=APRIL)
    assert (result.rows, result.written, result.periods) == (20, 3, [MARCH])
    by_county = service.by_region(session, OP, code, "county", MARCH, within="330100")
    assert by_county["330106"] == pytest.approx(100.0)
    assert by_county["330108"] == pytest.approx(100 / 9)
    assert by_county["330102"] is None  # a county with no decisions has no rate
    hangzhou = service.latest(session, OP, code, "330100")
    assert hangzhou is not None and hangzhou.value == pytest.approx(20.0)  # 2 / 10, not (100 + 11.1) / 2
    assert (hangzhou.numerator, hangzhou.denominator) == (2, 10)
    province = service.latest(session, OP, code, "330000")
    assert province is not None and province.value == pytest.approx(25.0)  # 5 / 20
    assert service.by_region(session, OP, code, "city", MARCH)["330200"] == pytest.approx(30.0)


def test_counts_sum_up_and_city_level_values_stay_out_of_the_counties(session, facts, define) -> None:
    facts([("330106", at(2026, 3, 5), 0, 0)] * 3 + [("330100", at(2026, 3, 5), 0, 0)] * 2
          + [("330000", at(2026, 3, 5), 0, 0)])
    code = define("t.count", COUNT_SQL)
    service.compute(session, OP, code, since=MARCH, until=APRIL)
    counties = service.by_region(session, OP, code, "county", within="330100")
    assert counties["330106"] == 3 and counties["330108"] == 0  # counts are 0 where nothing happened
    assert sum(v or 0 for v in counties.values()) == 3
    assert service.by_region(session, OP, code, "city")["330100"] == 5
    assert service.latest(session, OP, code, "330000").value == 6  # type: ignore[union-attr]
    assert service.latest(session, OP, code, "330106").value == 3  # type: ignore[union-attr]


def test_an_average_weighs_every_row(session, facts, define) -> None:
    facts([("330106", at(2026, 3, 5), 0, 2), ("330106", at(2026, 3, 6), 0, 4), ("330108", at(2026, 3, 7), 0, 9)])
    code = define("t.avg", AVG_SQL, aggregate="avg", unit="天")
    service.compute(session, OP, code, since=MARCH, until=APRIL)
    assert service.latest(session, OP, code, "330106").value == pytest.approx(3.0)  # type: ignore[union-attr]
    assert service.latest(session, OP, code, "330100").value == pytest.approx(5.0)  # type: ignore[union-attr]


def test_periods_are_beijing_months(session, facts, define) -> None:
    # 2026-03-31 17:00 UTC is 2026-04-01 01:00 in Beijing
    facts([("330106", datetime(2026, 3, 31, 17, tzinfo=UTC), 0, 0), ("330106", at(2026, 3, 31), 0, 0)])
    code = define("t.tz", COUNT_SQL)
    result = service.compute(session, OP, code, since=MARCH, until=MAY)
    assert result.periods == [MARCH, APRIL]
    assert [(p.period, p.value) for p in service.series(session, OP, code, "330106")] == [(MARCH, 1), (APRIL, 1)]


def test_recomputing_replaces_the_window_and_keeps_the_rest(session, facts, define) -> None:
    facts([("330106", at(2026, 3, 5), 0, 0), ("330106", at(2026, 4, 5), 0, 0)])
    code = define("t.history", COUNT_SQL)
    service.compute(session, OP, code, since=MARCH, until=MAY)
    session.execute(text("DELETE FROM t_indicator_facts"))  # the source moves on
    facts([("330106", at(2026, 4, 6), 0, 0)] * 4)
    second = service.compute(session, OP, code, since=APRIL, until=MAY)
    series = {p.period: p.value for p in service.series(session, OP, code, "330000")}
    assert series == {MARCH: 1, APRIL: 4}  # March kept from the first run, April replaced
    ind = session.scalar(select(Indicator).where(Indicator.code == code))
    assert ind is not None
    rows = session.scalars(select(IndicatorValue).where(IndicatorValue.indicator_id == ind.id)).all()
    assert len(rows) == 2 and {r.run_id for r in rows if r.period == APRIL} == {second.run_id}
    runs = service.runs(session, OP, code)
    assert [r.totals for r in runs] == [{"2026-04-01": 4.0}, {"2026-03-01": 1.0, "2026-04-01": 1.0}]
    assert all(r.state == "ok" for r in runs)
    audits = session.scalars(select(AuditRecord).where(AuditRecord.action == "indicator.compute",
                                                       AuditRecord.object_id == code)).all()
    assert len(audits) == 2


def test_broken_sql_gives_a_clear_error_and_leaves_the_session_usable(session, define) -> None:
    code = define("t.broken", "SELECT region_code, period, value FROM no_such_table WHERE x >= :since")
    with pytest.raises(InvalidInput) as err:
        service.compute(session, OP, code, since=MARCH, until=APRIL)
    assert err.value.key == "indicator_sql_failed" and "no_such_table" in err.value.message
    assert session.scalar(select(Indicator.code).where(Indicator.code == code)) == code  # still usable
    missing = define("t.columns", "SELECT code AS region_code, 1 AS value FROM region")
    with pytest.raises(InvalidInput, match="no column period"):
        service.compute(session, OP, missing, since=MARCH, until=APRIL)


def test_a_spec_that_is_not_one_select_is_refused(session, define) -> None:
    with pytest.raises(InvalidInput, match="one SELECT"):
        define("t.drop", "DELETE FROM region")
    with pytest.raises(InvalidInput, match="one SELECT"):
        define("t.two", "SELECT 1; DELETE FROM region")
    with pytest.raises(InvalidInput, match="schedule"):
        define("t.cron", COUNT_SQL, schedule="every day")


def test_store_sql_of_the_platform_indicators_runs_on_this_backend(session) -> None:
    assert service.sync_platform(session, OP) == 4
    assert service.sync_platform(session, OP) == 0  # unchanged specs are not stored again
    for ind in service.list_indicators(session, OP, app="platform"):
        result = service.compute(session, OP, ind.code, since=date(2025, 1, 1), until=date(2027, 1, 1))
        assert result.skipped == 0


def test_the_warehouse_source_binds_the_window(session, define) -> None:
    with get_warehouse().connect() as con:
        con.execute("CREATE TABLE t_visits (region_code VARCHAR, visited DATE, n INTEGER)")
        con.execute("INSERT INTO t_visits VALUES ('330106', DATE '2026-03-02', 5), ('330108', DATE '2026-03-09', 7),"
                    " ('330106', DATE '2026-02-27', 100)")
    code = define("t.wh", "SELECT region_code, visited AS period, SUM(n) AS value FROM t_visits "
                          "WHERE visited >= CAST(:since AS DATE) AND visited < CAST(:until AS DATE) GROUP BY 1, 2",
                  source="warehouse")
    service.compute(session, OP, code, since=MARCH, until=APRIL)
    assert service.latest(session, OP, code, "330100").value == 12  # type: ignore[union-attr]
    broken = define("t.whbroken", "SELECT * FROM t_nowhere", source="warehouse")
    with pytest.raises(InvalidInput, match="t_nowhere"):
        service.compute(session, OP, broken, since=MARCH, until=APRIL)


def test_a_schedule_is_due_after_it_fires(session, connection, facts, define) -> None:
    code = define("t.due", COUNT_SQL, schedule="0 2 * * *")  # 02:00 Beijing = 18:00 UTC the day before
    ind = session.scalar(select(Indicator).where(Indicator.code == code))
    assert ind is not None
    ind.last_computed_at = datetime(2026, 3, 10, 19, tzinfo=UTC)  # 03:00 on the 11th in Beijing
    assert not service.is_due(ind, datetime(2026, 3, 11, 17, 59, tzinfo=UTC))
    assert service.is_due(ind, datetime(2026, 3, 11, 18, 0, tzinfo=UTC))
    session.flush()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    now = datetime.now(UTC) + timedelta(days=2)
    done = service.compute_due(factory, now)
    assert done.get(code) == "ok"
    broken = define("t.due_broken", "SELECT x FROM nowhere_at_all")
    session.flush()
    stale = session.scalar(select(Indicator).where(Indicator.code == broken))
    assert stale is not None
    stale.last_computed_at = datetime(2026, 1, 1, tzinfo=UTC)
    session.flush()
    done = service.compute_due(factory, datetime.now(UTC))
    assert "nowhere_at_all" in done[broken] and code not in done  # computed already, not due again
    session.expire_all()
    failed = session.scalar(select(Indicator).where(Indicator.code == broken))
    assert failed is not None and "nowhere_at_all" in failed.last_error
    assert session.scalars(select(IndicatorRun.state).where(IndicatorRun.indicator_id == failed.id)).all() == ["failed"]


def test_officers_read_but_do_not_compute(session, actor_of, define) -> None:
    code = define("t.perm", COUNT_SQL)
    officer = actor_of("hz_civil_officer")
    assert [i.code for i in service.list_indicators(session, officer, app="tests")] == [code]
    with pytest.raises(PermissionDenied):
        service.compute(session, officer, code)
    with pytest.raises(PermissionDenied):
        service.sync_app_indicators(session, officer, "tests", [])
    with pytest.raises(NotFound):
        service.get(session, officer, "t.nothing")
    with pytest.raises(NotFound):
        service.series(session, officer, code, "339999")


def test_sync_versions_changes_and_keeps_codes_to_their_app(session, define) -> None:
    code = define("t.sync", COUNT_SQL)
    define(code, COUNT_SQL, unit="件")
    ind = session.scalar(select(Indicator).where(Indicator.code == code))
    assert ind is not None and ind.version == 2 and ind.spec["unit"] == "件"
    with pytest.raises(Conflict):
        service.sync_app_indicators(session, OP, "another_app", [{**ind.spec}])


def test_spec_colours_and_drill_links(session: Session, define) -> None:
    from digigov.platform.indicators import spec as specs

    s = specs.parse({"code": "t.c", "name": "c", "description": "d", "sql": COUNT_SQL, "unit": "%",
                     "aggregate": "ratio", "thresholds": {"red": 80, "yellow": 90},
                     "drill": "/cases?region={region}&since={period_start}&until={period_end}"})
    assert [s.colour(v) for v in (79.9, 85, 95, None)] == ["red", "yellow", "green", "none"]
    low = s.model_copy(update={"better_when": "lower", "thresholds": specs.Thresholds(red=90, yellow=80)})
    assert [low.colour(v) for v in (95, 85, 10)] == ["red", "yellow", "green"]
    assert specs.drill_link(s, "330106", date(2026, 2, 1)) == "/cases?region=330106&since=2026-02-01&until=2026-02-28"
    assert specs.period_start(date(2026, 3, 12), "week") == date(2026, 3, 9)
    assert specs.shift(date(2026, 1, 1), "month", 1) == date(2025, 12, 1)
