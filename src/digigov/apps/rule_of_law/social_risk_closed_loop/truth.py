"""The warnings the generated rows call for, recomputed in Python from the rows themselves, independently of the
library's SQL models (the tests compare the two): every (indicator, town, month) at or beyond blue with its value
and severity, and every site-month of unpaid, partly paid or late wages."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from digigov.apps.rule_of_law.social_risk_closed_loop import datasets, gazetteer, library

CITY_SAFETY = ("燃气泄漏报警", "电梯困人", "供水爆管", "道路塌陷", "积水内涝")


def dec(value: float, places: int) -> float:
    """Round half away from zero, as DuckDB's round() does."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))




def _by_header(code: str, rows: Iterable[list[Any]]) -> list[dict[str, Any]]:
    headers = datasets.BY_CODE[code].headers
    return [dict(zip(headers, r, strict=True)) for r in rows]


def expected_warnings(rows: Mapping[str, list[list[Any]]]) -> dict[str, dict[str, Any]]:
    """Every (indicator, town, month) the library should warn about, recomputed in Python from the rows:
    subject -> {indicator, town, period, value, severity}; the wage model's subjects are wage:<site>:<month>."""
    inds = library.indicators()
    towns = gazetteer.towns()
    out: dict[str, dict[str, Any]] = {}

    def add(code: str, counts: Mapping[tuple[str, str], float], *, rate: bool = False, places: int = 2) -> None:
        ind = inds[code]
        for (town_code, period), value in counts.items():
            v = dec(value * 10000.0 / towns[town_code].population, places) if rate else value
            sev = library.grade(ind, v)
            if sev:
                out[f"{code}:{town_code}:{period}"] = {"indicator": code, "town": town_code, "period": period,
                                                       "value": v, "severity": sev}

    police = _by_header("srcl_police_incident", rows["srcl_police_incident"])
    add("srcl.public_order.theft_rate", Counter((r["乡镇街道代码"], r["接警时间"][:7]) for r in police
                                                if r["警情类别"] == "盗窃"), rate=True)
    add("srcl.public_order.telecom_fraud", Counter((r["乡镇街道代码"], r["接警时间"][:7]) for r in police
                                                   if r["警情类别"] == "电信网络诈骗"))
    disputes = _by_header("srcl_dispute", rows["srcl_dispute"])
    add("srcl.disputes.new_rate", Counter((r["乡镇街道代码"], r["登记日期"][:7]) for r in disputes), rate=True)
    totals = Counter((r["乡镇街道代码"], r["登记日期"][:7]) for r in disputes)
    ok = Counter((r["乡镇街道代码"], r["登记日期"][:7]) for r in disputes if r["调解状态"] == "调解成功")
    minimum = inds["srcl.disputes.resolution_rate"].params["min_disputes"]
    add("srcl.disputes.resolution_rate", {k: dec(100.0 * ok[k] / n, 1) for k, n in totals.items()
                                          if n >= minimum and ok[k] < n})
    add("srcl.wage_arrears.labour_disputes", Counter((r["乡镇街道代码"], r["登记日期"][:7]) for r in disputes
                                                     if r["纠纷类型"] == "劳资纠纷"))
    petitions = _by_header("srcl_petition", rows["srcl_petition"])
    add("srcl.petitions.repeat", Counter((r["乡镇街道代码"], r["登记日期"][:7]) for r in petitions
                                         if r["是否重复信访"] == "是" or r["是否越级"] == "是"))
    events = _by_header("srcl_city_event", rows["srcl_city_event"])
    add("srcl.city_operation.safety_events", Counter((r["乡镇街道代码"], r["发生时间"][:7]) for r in events
                                                     if r["事件类别"] in CITY_SAFETY))
    add("srcl.housing_safety.unsafe_reports", Counter((r["乡镇街道代码"], r["发生时间"][:7]) for r in events
                                                      if r["事件类别"] == "房屋安全隐患"))
    monitor = _by_header("srcl_enterprise_monitor", rows["srcl_enterprise_monitor"])
    ab = inds["srcl.enterprise_operation.abnormal"].params
    add("srcl.enterprise_operation.abnormal", Counter(
        (r["乡镇街道代码"], r["监测月份"]) for r in monitor
        if int(r["用电量同比(%)"]) <= -ab["power_drop"] or int(r["参保人数环比(%)"]) <= -ab["insured_drop"]
        or r["纳税申报状态"] == "欠税"))
    alarms = _by_header("srcl_transit_alarm", rows["srcl_transit_alarm"])
    add("srcl.public_transport.driver_alarms", Counter((r["乡镇街道代码"], r["报警时间"][:7]) for r in alarms
                                                       if r["报警等级"] in ("二级", "三级")))
    words = re.compile("|".join(inds["srcl.work_safety.injuries"].keywords))
    injuries = _by_header("srcl_work_injury", rows["srcl_work_injury"])
    add("srcl.work_safety.injuries", Counter((r["乡镇街道代码"], r["事故发生日期"][:7]) for r in injuries
                                             if words.search(r["事故经过"] + r["伤情诊断"])))
    out.update(_expected_wages(rows))
    return out


def _expected_wages(rows: Mapping[str, list[list[Any]]]) -> dict[str, dict[str, Any]]:
    ind = library.indicators()["srcl.wage_arrears.site_payment"]
    grace, share = int(ind.params["grace_days"]), float(ind.params["partial_percent"]) / 100
    sites = {r[0]: r for r in rows["srcl_construction_site"]}
    site_of_account = {r[1]: r[0] for r in rows["srcl_wage_account"]}
    paid: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
    for r in _by_header("srcl_wage_transfer", rows["srcl_wage_transfer"]):
        paid[(site_of_account[r["专用账户账号"]], r["工资所属月份"])].append(
            (date.fromisoformat(r["代发日期"]), float(r["代发金额(元)"])))
    out = {}
    for r in _by_header("srcl_payroll_plan", rows["srcl_payroll_plan"]):
        key = (r["项目编号"], r["工资所属月份"])
        expected, due = float(r["应发工资总额(元)"]), date.fromisoformat(r["约定发放日期"])
        total = sum(a for _, a in paid[key])
        on_time = sum(a for d, a in paid[key] if d <= due + timedelta(days=grace))
        if total >= expected * share and on_time >= expected * share:
            continue
        sev = "red" if total == 0 else "orange" if total < expected * share else "yellow"
        out[f"wage:{key[0]}:{key[1]}"] = {"indicator": ind.code, "town": sites[key[0]][5], "period": key[1],
                                          "value": dec(total * 100.0 / expected, 1), "severity": sev}
    return out
