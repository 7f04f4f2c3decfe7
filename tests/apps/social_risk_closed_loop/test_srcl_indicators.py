"""The cockpit's indicators in the platform's indicator engine (portable SQL over the store, on both backends) agree
with the application's own closure figures: tasks raised and closed out per county, before and after a close-out."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.social_risk_closed_loop.conftest import OP, World, user
from tests.apps.social_risk_closed_loop.test_srcl_loop import VOUCHER, wage_task

from digigov.apps.rule_of_law.social_risk_closed_loop import gazetteer, service
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclTask
from digigov.platform.indicators import service as indicators


def county_sums(s: Session, code: str) -> dict[str, tuple[float, float]]:
    """(Σ numerator, Σ denominator) of an indicator per county over its whole window, or (Σ value, 0) for counts."""
    indicators.compute(s, OP, code)
    out = {}
    for county in gazetteer.COUNTIES:
        points = indicators.series(s, OP, code, county)
        out[county] = (sum(p.numerator or 0 for p in points), sum(p.denominator or 0 for p in points)) \
            if any(p.denominator for p in points) else (sum(p.value or 0 for p in points), 0.0)
    return out


def test_indicators_agree_with_the_closure_figures(world: World, srcl: Session) -> None:
    raised = county_sums(srcl, "srcl.tasks_raised")
    rate = county_sums(srcl, "srcl.closure_rate")
    mine = {a.code: a for a in service.closure(srcl, service.SYSTEM, by="county")}
    assert {c: v[0] for c, v in raised.items()} == {c: float(a.raised) for c, a in mine.items()}
    assert {c: v for c, v in rate.items() if v[1]} == {c: (float(a.closed), float(a.raised))
                                                        for c, a in mine.items() if a.raised}
    wage = county_sums(srcl, "srcl.wage_warnings")
    wage_tasks = list(srcl.scalars(select(SrclTask).where(SrclTask.indicator == service.WAGE)))
    assert sum(v[0] for v in wage.values()) == len(wage_tasks) >= 3

    task = wage_task(srcl, world, "unpaid")
    service.upload_payslip(srcl, user(srcl, "huz_town_official"), task.id, voucher=VOUCHER,
                           amount=f"{service.owed_cents(task) / 100:.2f}", paid_on=date(2025, 6, 25),
                           finding="经核实已全额补发")
    after = county_sums(srcl, "srcl.closure_rate")
    assert after[task.county_code][0] == rate[task.county_code][0] + 1
    assert after[task.county_code][1] == rate[task.county_code][1]
