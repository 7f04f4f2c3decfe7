"""The official working-day calendar and SLA arithmetic on it (Asia/Shanghai, deadlines in UTC)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.core import workdays
from digigov.core.errors import InvalidInput, PermissionDenied
from digigov.core.workdays import Calendar, add_hours, add_workdays, load_calendar, workdays_between
from digigov.identity.actor import Actor
from digigov.platform.calendar.service import import_schedule, set_day, unset_day

SH = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=SH).astimezone(UTC)


def test_the_package_facts_these_tests_rely_on() -> None:
    cal = Calendar()
    # 2026 Spring Festival: Feb 15-23 off; Saturday Feb 14 and Saturday Feb 28 are adjusted working days
    assert [d.day for d in (date(2026, 2, 15) + timedelta(days=i) for i in range(9))
            if not cal.is_workday(d)] == list(range(15, 24))
    assert date(2026, 2, 14).weekday() == 5 and cal.is_workday(date(2026, 2, 14))
    assert cal.day(date(2026, 2, 14)).name == "Spring Festival"
    # National Day 2026: Oct 1-7 off; the adjusted working days come from the package
    assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))
    national_workdays = sorted(d for d, n in chinese_calendar.workdays.items() if d.year == 2026 and "National" in n)
    assert national_workdays == [date(2026, 9, 20), date(2026, 10, 10)]
    assert all(cal.is_workday(d) and d.weekday() >= 5 for d in national_workdays)
    assert cal.coverage(2026) == "official" and cal.warnings == []


def test_sla_across_spring_festival_and_an_adjusted_working_saturday() -> None:
    cal = Calendar()
    intake = local(2026, 2, 13)  # Friday before the festival
    assert add_workdays(cal, intake, 1) == end_of(2026, 2, 14)  # the adjusted working Saturday counts
    assert add_workdays(cal, intake, 2) == end_of(2026, 2, 24)  # Feb 15-23 are holidays
    assert add_workdays(cal, intake, 5) == end_of(2026, 2, 27)
    assert add_workdays(cal, intake, 6) == end_of(2026, 2, 28)  # the second adjusted Saturday
    assert add_workdays(cal, intake, 0) == end_of(2026, 2, 13)
    for n in (0, 1, 2, 5, 6, 15):
        assert workdays_between(cal, intake, add_workdays(cal, intake, n)) == n


def test_sla_across_national_day() -> None:
    cal = Calendar()
    intake = local(2026, 9, 30, 17, 30)  # Wednesday, the day before the holiday
    assert add_workdays(cal, intake, 1) == end_of(2026, 10, 8)
    assert add_workdays(cal, intake, 3) == end_of(2026, 10, 10)  # Saturday Oct 10 is a working day
    assert add_workdays(cal, intake, 4) == end_of(2026, 10, 12)
    assert workdays_between(cal, intake, local(2026, 10, 7, 18)) == 0
    assert workdays_between(cal, local(2026, 9, 18), local(2026, 9, 21)) == 2  # Sunday Sep 20 works, Sat 19 not


def test_a_deadline_into_a_year_without_data_then_after_importing_it() -> None:
    intake = local(2026, 12, 28)  # Monday; chinese_calendar 1.11 knows nothing of 2027
    assert not workdays.official_year(2027)
    cal = Calendar()
    # Dec 29, 30, 31, then 2027 on weekdays only: Jan 1 (a Friday) counts, Jan 4-8, Jan 11
    assert add_workdays(cal, intake, 10) == end_of(2027, 1, 11)
    assert cal.coverage(2027) == "weekends_only"
    assert cal.warnings == ["2027: no official schedule; weekends only"]
    # the administrator enters the State Council's notice: New Year's Day is a holiday
    cal = Calendar({date(2027, 1, 1): (False, "元旦")})
    assert cal.coverage(2027) == "admin"
    assert add_workdays(cal, intake, 10) == end_of(2027, 1, 12)
    assert cal.warnings == []
    assert cal.coverage(2028) == "weekends_only" and cal.warnings == ["2028: no official schedule; weekends only"]


def test_an_override_wins_over_the_package() -> None:
    cal = Calendar({date(2026, 10, 8): (False, "台风停工"), date(2026, 10, 11): (True, "补班")})
    assert not cal.is_workday(date(2026, 10, 8)) and cal.day(date(2026, 10, 8)).source == "override"
    intake = local(2026, 9, 30)
    assert add_workdays(cal, intake, 3) == end_of(2026, 10, 11)  # Oct 9, 10 (package), 11 (override)
    assert {d.day for d in cal.special_days(2026)} >= {date(2026, 10, 8), date(2026, 10, 11), date(2026, 2, 14)}


def test_deadlines_are_end_of_day_in_shanghai_without_daylight_saving() -> None:
    cal = Calendar()
    # 16:30 UTC on Sunday Mar 8 is already 00:30 on Monday Mar 9 in Shanghai: the intake day is Monday
    assert add_workdays(cal, datetime(2026, 3, 8, 16, 30, tzinfo=UTC), 1) == end_of(2026, 3, 10)
    # 15:59:59 UTC is still Sunday 23:59:59 in Shanghai
    assert add_workdays(cal, datetime(2026, 3, 8, 15, 59, 59, tzinfo=UTC), 1) == end_of(2026, 3, 9)
    assert add_workdays(cal, datetime(2026, 3, 8, 15, 59, 59), 1) == end_of(2026, 3, 9)  # naive = UTC
    for month in range(1, 13):  # the same UTC hour all year: the zone has no DST
        due = add_workdays(cal, datetime(2026, month, 10, 2, tzinfo=UTC), 2)
        assert (due.tzinfo, due.hour, due.minute, due.second) == (UTC, 15, 59, 59)


def test_add_hours_and_bad_arguments() -> None:
    start = datetime(2026, 9, 30, 23, 0, tzinfo=SH)
    assert add_hours(start, 2) == datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # plain hours, holidays included
    assert add_hours(start, 0.5).tzinfo == UTC
    cal = Calendar()
    for bad in (-1, True, 2.5, 10**6):
        with pytest.raises(InvalidInput):
            add_workdays(cal, start, bad)  # type: ignore[arg-type]
    assert workdays_between(cal, local(2026, 3, 10), local(2026, 3, 9)) == 0


def test_parse_schedule_csv_and_yaml() -> None:
    csv_text = "\ufeffdate,kind,name\n2027-01-01,休,元旦\n2027-02-06..2027-02-08,holiday,春节\n2027-02-20,班,春节\n"
    rows = workdays.parse_schedule(csv_text, "csv")
    assert rows[0] == (date(2027, 1, 1), False, "元旦") and len(rows) == 5
    assert (date(2027, 2, 20), True, "春节") in rows
    yaml_text = "days:\n  - {date: 2027-10-01..2027-10-07, kind: holiday, name: 国庆节}\n" \
                "  - {date: 2027-10-09, workday: true, name: 国庆节}\n"
    rows = workdays.parse_schedule(yaml_text, "yaml")
    assert len(rows) == 8 and rows[-1] == (date(2027, 10, 9), True, "国庆节")
    for bad in ("date,kind,name\n2027-13-01,休,x\n", "date,kind,name\n2027-01-01,maybe,x\n",
                "date,kind,name\n2027-01-01,休,x\n2027-01-01,班,x\n", "date,kind,name\n2027-01-01..2027-06-01,休,x\n"):
        with pytest.raises(InvalidInput):
            workdays.parse_schedule(bad, "csv")
    with pytest.raises(InvalidInput):
        workdays.parse_schedule("[unclosed", "yaml")


def test_set_day_is_audited_and_reaches_the_calendar(session: Session, actor_of) -> None:
    admin = actor_of("admin")
    set_day(session, admin, date(2027, 1, 1), workday=False, name="元旦")
    cal = load_calendar(session)
    assert cal.coverage(2027) == "admin" and not cal.is_workday(date(2027, 1, 1))
    set_day(session, admin, date(2027, 1, 1), workday=False, name="New Year")
    rec = session.scalars(select(AuditRecord).where(AuditRecord.action == "calendar.set_day")
                          .order_by(AuditRecord.seq.desc())).first()
    assert rec is not None and rec.actor == "admin" and rec.object_id == "2027-01-01"
    assert json.loads(rec.detail)["before"] == {"workday": False, "name": "元旦"}
    assert unset_day(session, admin, date(2027, 1, 1)) and not unset_day(session, admin, date(2027, 1, 1))
    assert load_calendar(session).coverage(2027) == "weekends_only"


def test_import_schedule_is_audited(session: Session, actor_of) -> None:
    rows = [(date(2027, 2, 6) + timedelta(days=i), False, "春节") for i in range(9)]
    rows.append((date(2027, 2, 20), True, "春节"))
    assert import_schedule(session, actor_of("admin"), rows) == 10
    cal = load_calendar(session)
    assert cal.is_workday(date(2027, 2, 20)) and not cal.is_workday(date(2027, 2, 8))
    rec = session.scalars(select(AuditRecord).where(AuditRecord.action == "calendar.import")).one()
    assert json.loads(rec.detail) == {"days": 10, "holidays": 9, "workdays": 1, "years": [2027]}


@pytest.mark.parametrize("username", ["hz_civil_officer", "zj_bigdata_steward", "auditor", "hz_police_approver"])
def test_only_platform_admins_change_the_calendar(session: Session, actor_of, username: str) -> None:
    actor: Actor = actor_of(username)
    with pytest.raises(PermissionDenied):
        set_day(session, actor, date(2027, 1, 1), workday=False, name="元旦")
    with pytest.raises(PermissionDenied):
        import_schedule(session, actor, [(date(2027, 1, 1), False, "元旦")])
    with pytest.raises(PermissionDenied):
        unset_day(session, actor, date(2027, 1, 1))
    assert load_calendar(session).coverage(2027) == "weekends_only"
