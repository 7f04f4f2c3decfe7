"""Working days (工作日) of the Chinese official calendar, and deadline arithmetic on them.

The State Council's holiday schedule (节假日安排: holidays and the adjusted working days 调休上班, often a
Saturday or Sunday) comes from the chinese_calendar package for the years it knows. Administrators add
overrides in `workday_override`: an override wins over the package for its date, and for a year the
package does not know (the next year's schedule is published each November) the overrides are the
schedule ("admin" coverage). A year with neither falls back to Monday–Friday ("weekends_only") and the
calendar says so in `warnings`.

Deadlines are counted in the configured zone (Asia/Shanghai: no daylight saving) and returned in UTC.
Naive datetimes are taken as UTC, as the store keeps them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core.clock import utcnow
from digigov.core.errors import InvalidInput
from digigov.core.i18n import register
from digigov.core.settings import get_settings
from digigov.core.workdays_model import WorkdayOverride

Coverage = Literal["official", "admin", "weekends_only"]
Row = tuple[date, bool, str]
MAX_DAYS = 3660  # ten years of working days: anything longer is a typo
MAX_ROWS = 1000
NAME_MAX = 100

register({
    "error.calendar_bad_days": ("工作日数须为 0 到 {max} 之间的整数",
                                "Working days must be an integer from 0 to {max}"),
    "error.calendar_bad_row": ("第 {row} 行有误：{reason}", "Row {row}: {reason}"),
    "error.calendar_conflict": ("{day} 出现了两次且取值不同", "{day} appears twice with different values"),
    "error.calendar_too_many": ("一次最多导入 {max} 天", "At most {max} days in one import"),
})


@cache
def official_year(year: int) -> bool:
    """Whether the chinese_calendar package holds the State Council's schedule for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class DayInfo:
    day: date
    workday: bool
    name: str
    source: Literal["override", "official", "weekend"]


class Calendar:
    """Is a date a working day? Built from the package and the admin overrides (see load_calendar)."""

    def __init__(self, overrides: Mapping[date, tuple[bool, str]] | None = None, *, tz: str | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._override_years = {d.year for d in self._overrides}
        self.tz = ZoneInfo(tz or get_settings().timezone)
        self.warnings: list[str] = []

    def coverage(self, year: int) -> Coverage:
        if official_year(year):
            return "official"
        if year in self._override_years:
            return "admin"
        message = f"{year}: no official schedule; weekends only"
        if message not in self.warnings:
            self.warnings.append(message)
        return "weekends_only"

    def day(self, d: date) -> DayInfo:
        d = d.date() if isinstance(d, datetime) else d
        hit = self._overrides.get(d)
        if hit is not None:
            return DayInfo(d, hit[0], hit[1], "override")
        if self.coverage(d.year) == "official":
            on_leave, name = chinese_calendar.get_holiday_detail(d)
            if name is not None:
                return DayInfo(d, not on_leave, str(name), "official")
        return DayInfo(d, d.weekday() < 5, "", "weekend")

    def is_workday(self, d: date) -> bool:
        return self.day(d).workday

    def special_days(self, year: int) -> list[DayInfo]:
        """The year's named days: holidays and adjusted working days, from the package and the overrides."""
        days: set[date] = {d for d in self._overrides if d.year == year}
        if official_year(year):
            days |= {d for d in chinese_calendar.holidays if d.year == year}
            days |= {d for d in chinese_calendar.workdays if d.year == year}
        return [self.day(d) for d in sorted(days)]

    def local_date(self, at: datetime) -> date:
        return _aware(at).astimezone(self.tz).date()


def _aware(at: datetime) -> datetime:
    if not isinstance(at, datetime):
        raise InvalidInput("a moment in time is needed, not a date", key="calendar_bad_row", row=0,
                           reason="not a datetime")
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def load_calendar(session: Session) -> Calendar:
    """The calendar with every stored override (a small table: a few dozen rows a year)."""
    rows = session.execute(select(WorkdayOverride.day, WorkdayOverride.workday, WorkdayOverride.name)).all()
    return Calendar({d: (bool(w), n) for d, w, n in rows})


def add_workdays(cal: Calendar, start: datetime, days: int) -> datetime:
    """The deadline `days` working days after `start`: the day of `start` does not count, the count begins
    with the first working day after it, and the deadline is the end (23:59:59) of the last counted day in
    the calendar's zone, returned in UTC. days=0 is the end of the start day."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be an integer from 0 to {MAX_DAYS}", key="calendar_bad_days", max=MAX_DAYS)
    d, counted = cal.local_date(start), 0
    while counted < days:
        d += timedelta(days=1)
        counted += cal.is_workday(d)
    return datetime.combine(d, time(23, 59, 59), tzinfo=cal.tz).astimezone(UTC)


def add_hours(start: datetime, hours: float) -> datetime:
    """Plain clock hours (urgent cases: 2 hours means 2 hours, nights and holidays included), in UTC."""
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 <= hours <= 24 * 3660:
        raise InvalidInput("hours must be a number from 0", key="calendar_bad_days", max=24 * 3660)
    return (_aware(start) + timedelta(hours=hours)).astimezone(UTC)


def workdays_between(cal: Calendar, start: datetime, end: datetime) -> int:
    """Working days elapsed from `start` to `end`: those after the start day, up to and including the end
    day (so workdays_between(s, add_workdays(cal, s, n)) == n). 0 when end is not after start."""
    first, last = cal.local_date(start), cal.local_date(end)
    n, d = 0, first
    while d < last:
        d += timedelta(days=1)
        n += cal.is_workday(d)
    return n


def year_summary(cal: Calendar, year: int) -> dict[str, Any]:
    """A year for `digigov calendar show` and the console: coverage, named days, count of working days."""
    first = date(year, 1, 1)
    total = sum(cal.is_workday(first + timedelta(days=i)) for i in range((date(year + 1, 1, 1) - first).days))
    return {"year": year, "coverage": cal.coverage(year), "workdays": total, "warnings": list(cal.warnings),
            "days": [{"date": x.day.isoformat(), "workday": x.workday, "name": x.name, "source": x.source,
                      "weekday": x.day.isoweekday()} for x in cal.special_days(year)]}


# ---------------------------------------------------------------- the schedule as data


_WORK = {"workday", "work", "班", "上班", "调休上班", "true", "1", "yes", "y"}
_REST = {"holiday", "rest", "休", "假", "休息", "放假", "false", "0", "no", "n"}


def _kind(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in _WORK else False if text in _REST else None


def _dates(value: Any) -> list[date]:
    """"2027-10-01", a date, or a range "2027-10-01..2027-10-07" (at most 31 days)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return [value]
    first, sep, last = str(value).strip().partition("..")
    a = date.fromisoformat(first.strip())
    b = date.fromisoformat(last.strip()) if sep else a
    if not 0 <= (b - a).days <= 31:
        raise ValueError(f"bad date range {value!r}")
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def parse_schedule(content: str, fmt: Literal["csv", "yaml"]) -> list[Row]:
    """Rows (date, workday, name) from a CSV with the header date,kind,name or a YAML list of
    {date, kind, name}. kind: holiday/休 or workday/班 (also true/false); date may be a range a..b."""
    if fmt == "csv":
        records: list[Any] = list(csv.DictReader(io.StringIO(content.lstrip("\ufeff"))))
    else:
        try:
            loaded = yaml.safe_load(content)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"not YAML: {exc}", key="calendar_bad_row", row=0, reason="not YAML") from exc
        records = loaded.get("days", []) if isinstance(loaded, dict) else loaded
        if not isinstance(records, list):
            raise InvalidInput("expected a list of days", key="calendar_bad_row", row=0, reason="not a list")
    rows: list[Row] = []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise InvalidInput(f"row {i}: not a mapping", key="calendar_bad_row", row=i, reason="not a mapping")
        kind = _kind(rec.get("kind", rec.get("type", rec.get("workday", ""))))
        name = str(rec.get("name") or "").strip()
        try:
            days = _dates(rec.get("date", ""))
        except ValueError as exc:
            raise InvalidInput(f"row {i}: {exc}", key="calendar_bad_row", row=i, reason=str(exc)) from exc
        if kind is None:
            raise InvalidInput(f"row {i}: kind must be holiday or workday", key="calendar_bad_row", row=i,
                               reason="kind must be holiday or workday")
        rows += [(d, kind, name) for d in days]
    return check_rows(rows)


def check_rows(rows: Iterable[Row]) -> list[Row]:
    """Validated, de-duplicated rows; InvalidInput on a bad value or one date given two ways."""
    seen: dict[date, Row] = {}
    for i, (d, workday, name) in enumerate(rows, start=1):
        if not isinstance(d, date) or isinstance(d, datetime) or not isinstance(workday, bool):
            raise InvalidInput(f"row {i}: needs a date and a boolean", key="calendar_bad_row", row=i,
                               reason="needs a date and holiday/workday")
        if not isinstance(name, str) or len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
            raise InvalidInput(f"row {i}: bad name", key="calendar_bad_row", row=i, reason=f"name over {NAME_MAX}")
        if d in seen and seen[d][1:] != (workday, name):
            raise InvalidInput(f"{d} appears twice with different values", key="calendar_conflict", day=d.isoformat())
        seen[d] = (d, workday, name.strip())
    if len(seen) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} days in one import", key="calendar_too_many", max=MAX_ROWS)
    return sorted(seen.values())


def put_override(session: Session, d: date, *, workday: bool, name: str, by: str) -> dict[str, Any] | None:
    """Store primitive (no permission check, no audit: call the calendar service): write one override and
    return what it replaced, or None."""
    (d, workday, name), = check_rows([(d, workday, name)])
    row = session.get(WorkdayOverride, d)
    before = None if row is None else {"workday": row.workday, "name": row.name}
    if row is None:
        row = WorkdayOverride(day=d, year=d.year)
        session.add(row)
    row.workday, row.name, row.updated_by, row.updated_at = workday, name, by, utcnow()
    session.flush()
    return before


def remove_override(session: Session, d: date) -> dict[str, Any] | None:
    """Store primitive: delete the override of `d`; what it was, or None when there was none."""
    row = session.get(WorkdayOverride, d)
    if row is None:
        return None
    before = {"workday": row.workday, "name": row.name}
    session.delete(row)
    session.flush()
    return before
