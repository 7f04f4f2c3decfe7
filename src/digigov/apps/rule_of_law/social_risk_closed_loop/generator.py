"""The Huzhou departments' files for the demo and the tests, deterministic for a seed and a reference day.

`generate` writes one UTF-8 CSV per dataset (datasets.ALL) covering the complete months before `as_of`, and
truth.json beside them:

- For every risk indicator most town-months stay below the blue threshold; a few chosen ones ("hotspots") are
  planted in a chosen band, and in the latest month the theft rate is planted red, orange, yellow and blue in four
  towns. The truth is then recomputed from the rows themselves, in Python, independently of the SQL models: every
  (indicator, town, month) at or beyond blue with its value and severity (`truth["expected"]`).
- Construction sites with supervised wage accounts, monthly payroll plans and the banks' transfers: in the latest
  month whose payday has passed, one site in 织里镇 is not paid at all, one is paid in part, one is paid late; its
  twin (same size, same payroll) is paid in full on time, and one is paid in two transfers that add up in time.
- Enterprises under work-safety supervision and their safety-code facts: one of each colour, one whose single veto
  indicator turns an otherwise green code red, one exactly on the green bound (85) and one just under it (84.5).
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from stdnum.cn import ric, uscc

from digigov.apps.rule_of_law.social_risk_closed_loop import datasets, gazetteer, library, truth
from digigov.apps.rule_of_law.social_risk_closed_loop.gazetteer import Town

SIZES: dict[str, dict[str, int]] = {
    # months of data, hotspots per indicator and month, construction sites, safety enterprises per town,
    # monitored enterprises per town (at least), baseline volume (percent)
    "small": {"months": 3, "hotspots": 1, "sites": 16, "safety": 1, "monitor": 4, "volume": 50},
    "medium": {"months": 6, "hotspots": 2, "sites": 40, "safety": 2, "monitor": 6, "volume": 100},
    "large": {"months": 12, "hotspots": 4, "sites": 120, "safety": 4, "monitor": 10, "volume": 100},
}
PLANT_TOWN = "330502100"  # 织里镇: the planted wage sites
THEFT_TOWNS = ("330503100", "330521001", "330522001", "330523001")  # planted red, orange, yellow, blue thefts
SEVERITY_MIX = ("red", "orange", "orange", "yellow", "yellow", "yellow", "blue", "blue")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖"
            "田董袁潘于蒋蔡余杜叶程苏魏吕丁沈任姚卢傅钟姜崔谭陆汪范金石廖贾")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅海燕晓东志文斌宇浩"
BRAND = ("华丰", "永盛", "恒达", "金鼎", "宏远", "鑫源", "天成", "瑞安", "新航", "和泰", "锦程", "汇通", "振兴",
         "佳禾", "荣昌", "立信", "正泰", "宝丰", "安达", "富春", "明珠", "远洋", "双林", "南太湖")
INDUSTRIES = (("纺织", "纺织业"), ("童装", "服装服饰业"), ("木业", "木材加工"), ("竹木制品", "木材加工"),
              ("蓄电池", "电气机械"), ("建材", "非金属矿物制品"), ("机械制造", "通用设备制造"),
              ("化工", "化学原料和化学制品"), ("金属制品", "金属制品业"), ("家具", "家具制造业"), ("印染", "纺织业"),
              ("新材料", "非金属矿物制品"))
ROADS = ("人民路", "凤凰路", "红旗路", "青铜路", "劳动路", "环城路", "工业大道", "湖州大道", "太湖路", "滨湖大道",
         "长兴大道", "昌硕路", "永安街", "中兴大道", "富民路", "兴业路")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BANKS = ("中国农业银行湖州分行", "中国建设银行湖州分行", "中国工商银行湖州分行", "湖州银行",
         "浙江农商联合银行湖州中心支行")
KEYWORD_TEXT = ("在脚手架上作业时不慎高处坠落", "操作冲床时右手被机械挤压", "检修设备时被传送带卷入",
                "被吊装的钢管物体打击头部", "在配电箱旁作业时触电", "基坑边坡坍塌被埋压")
OTHER_INJURY = ("搬运货物时腰部扭伤", "下班途中发生交通事故", "食堂打饭时被热汤烫伤", "在车间行走时滑倒致左踝扭伤")
DISPUTE_TYPES = ("婚姻家庭", "邻里纠纷", "物业纠纷", "土地承包", "消费纠纷", "交通事故赔偿", "医疗纠纷", "房屋租赁")
CITY_SAFETY = truth.CITY_SAFETY
CITY_OTHER = ("井盖破损", "路灯故障", "占道经营", "垃圾满溢")
HOUSING_TEXT = ("自建房外墙开裂", "老旧住宅楼梯间墙体裂缝", "民房违规加层", "出租房承重墙被拆改")


def periods_before(as_of: date, months: int) -> list[str]:
    """The `months` complete months before the month of `as_of`, oldest first, as YYYY-MM."""
    out = []
    y, m = as_of.year, as_of.month
    for _ in range(months):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append(f"{y:04d}-{m:02d}")
    return out[::-1]


def month_days(period: str) -> int:
    y, m = int(period[:4]), int(period[5:7])
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return (nxt - date(y, m, 1)).days


def payday(period: str) -> date:
    """约定发放日期: the 15th of the month after the wage month."""
    y, m = int(period[:4]), int(period[5:7])
    return date(y + (m == 12), m % 12 + 1, 15)


@dataclass
class Generated:
    directory: Path
    files: dict[str, Path]
    truth: dict[str, Any]
    as_of: date
    periods: list[str]


@dataclass
class _Maker:
    seed: int
    size: str
    as_of: date
    periods: list[str]
    rows: dict[str, list[list[Any]]] = field(default_factory=lambda: defaultdict(list))
    serial: Counter[str] = field(default_factory=Counter)

    def rng(self, *parts: Any) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    @property
    def knobs(self) -> dict[str, int]:
        return SIZES[self.size]

    def next(self, prefix: str) -> int:
        self.serial[prefix] += 1
        return self.serial[prefix]

    def moment(self, rng: random.Random, period: str, *, hours: bool = True) -> str:
        day = rng.randint(1, month_days(period))
        if not hours:
            return f"{period}-{day:02d}"
        return f"{period}-{day:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"

    def name(self, rng: random.Random) -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


# ---------------------------------------------------------------- identifiers


def make_uscc(rng: random.Random, county: str) -> str:
    body = "91" + county + "MA2" + "".join(rng.choice(USCC_CHARS) for _ in range(6))
    return body + uscc.calc_check_digit(body)


def make_citizen_id(rng: random.Random, county: str) -> str:
    born = date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 38))
    body = f"{county}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")  # (stdnum reads the first 17 of 18)


def address(rng: random.Random, t: Town) -> str:
    return f"浙江省湖州市{t.county_name}{t.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号"


# ---------------------------------------------------------------- planting counts in a band


def _band(ind: library.Indicator, severity: str) -> tuple[float, float]:
    """[low, high) of a severity for a "higher is worse" indicator."""
    order = ("blue", "yellow", "orange", "red")
    low = ind.thresholds[severity]
    i = order.index(severity)
    high = ind.thresholds[order[i + 1]] if i + 1 < len(order) else low * 2 + 5
    return low, high


def count_for(ind: library.Indicator, severity: str, rng: random.Random, per: float = 1.0) -> int | None:
    """A count whose value (count × per) grades `severity`, or None when no count does (the town is too small)."""
    low, high = _band(ind, severity)
    first = max(1, math.ceil(low / per - 1e-9))
    options = [c for c in range(first, first + 12) if library.grade(ind, truth.dec(c * per, 2)) == severity
               and c * per < high]
    return rng.choice(options[:3]) if options else None


def baseline_count(ind: library.Indicator, rng: random.Random, per: float = 1.0, volume: int = 100) -> int:
    """A count below the blue threshold."""
    top = max(0, math.ceil(ind.thresholds["blue"] / per - 1e-9) - 1)
    return rng.randint(0, max(0, top * volume // 100))


def _hotspots(m: _Maker, code: str) -> dict[tuple[str, str], str]:
    """(town, period) -> planted severity for an indicator: a few per month, never two in one town-month."""
    rng = m.rng("hotspots", code)
    towns = list(gazetteer.towns())
    out: dict[tuple[str, str], str] = {}
    for period in m.periods:
        for town in rng.sample(towns, m.knobs["hotspots"]):
            out[(town, period)] = rng.choice(SEVERITY_MIX)
    return out


# ---------------------------------------------------------------- the departments' rows


def _towns(m: _Maker) -> None:
    for t in gazetteer.towns().values():
        m.rows["srcl_town"].append([t.code, t.name, t.county_code, t.county_name, gazetteer.KINDS[t.kind][0],
                                    t.population, t.grids, f"{t.lon:.3f}", f"{t.lat:.3f}"])


def _police(m: _Maker) -> None:
    theft, fraud = library.indicators()["srcl.public_order.theft_rate"], \
        library.indicators()["srcl.public_order.telecom_fraud"]
    hot_theft, hot_fraud = _hotspots(m, theft.code), _hotspots(m, fraud.code)
    latest = m.periods[-1]
    for (town_code, period), sev in zip(((c, latest) for c in THEFT_TOWNS), ("red", "orange", "yellow", "blue"),
                                        strict=True):
        hot_theft[(town_code, period)] = sev
    theft_kinds = ("入室盗窃", "电动自行车被盗", "车内财物被盗", "扒窃")
    fraud_kinds = ("刷单返利诈骗", "冒充电商物流客服诈骗", "虚假投资理财诈骗", "冒充公检法诈骗", "网络贷款诈骗")
    other = (("交通事故", "轻微交通事故"), ("纠纷", "邻里纠纷"), ("求助", "老人走失"), ("火警", "电动车充电起火"))
    for t in gazetteer.towns().values():
        per = 10000.0 / t.population
        for period in m.periods:
            rng = m.rng("police", t.code, period)
            n_theft = None
            if (t.code, period) in hot_theft:
                n_theft = count_for(theft, hot_theft[(t.code, period)], rng, per)
            if n_theft is None:
                n_theft = baseline_count(theft, rng, per, m.knobs["volume"])
            n_fraud = count_for(fraud, hot_fraud[(t.code, period)], rng) if (t.code, period) in hot_fraud else None
            if n_fraud is None:
                n_fraud = baseline_count(fraud, rng, volume=m.knobs["volume"])
            items = [("盗窃", rng.choice(theft_kinds)) for _ in range(n_theft)]
            items += [("电信网络诈骗", rng.choice(fraud_kinds)) for _ in range(n_fraud)]
            items += [rng.choice(other) for _ in range(rng.randint(0, 2))]
            for kind, sub in items:
                n = m.next("police")
                when = m.moment(rng, period)
                text = f"报警人称在{t.name}{rng.choice(ROADS)}附近{sub}"
                outcome = rng.choice(("已处置", "已立案", "已调解"))
                m.rows["srcl_police_incident"].append([f"J{t.county_code}{when[:4]}{n:06d}", when, t.county_code,
                                                       t.code, kind, sub, text, outcome])


def _solve_resolution(ind: library.Indicator, severity: str, n: int) -> int | None:
    """How many of n disputes must stay unresolved for the success rate to grade `severity` (lower is worse)."""
    for unresolved in range(0, n + 1):
        rate = truth.dec(100.0 * (n - unresolved) / n, 1)
        if library.grade(ind, rate) == severity:
            return unresolved
    return None


def _disputes(m: _Maker) -> None:
    inds = library.indicators()
    new, res, labour = (inds["srcl.disputes.new_rate"], inds["srcl.disputes.resolution_rate"],
                        inds["srcl.wage_arrears.labour_disputes"])
    hot_new, hot_res, hot_labour = _hotspots(m, new.code), _hotspots(m, res.code), _hotspots(m, labour.code)
    minimum = int(res.params["min_disputes"])
    for t in gazetteer.towns().values():
        per = 10000.0 / t.population
        for period in m.periods:
            rng = m.rng("disputes", t.code, period)
            key = (t.code, period)
            n_labour = (count_for(labour, hot_labour[key], rng) if key in hot_labour else None)
            if n_labour is None:
                n_labour = rng.randint(0, 1)
            n_total = count_for(new, hot_new[key], rng, per) if key in hot_new else None
            if n_total is None:
                n_total = baseline_count(new, rng, per, m.knobs["volume"])
            n_total = max(n_total, n_labour + rng.randint(0, 2))
            unresolved = 0
            if key in hot_res:
                n_total = max(n_total, minimum + rng.randint(0, 4))
                unresolved = _solve_resolution(res, hot_res[key], n_total) or 0
            elif n_total >= minimum:
                unresolved = rng.randint(0, int(n_total * 0.09))
            kinds = ["劳资纠纷"] * n_labour + [rng.choice(DISPUTE_TYPES) for _ in range(n_total - n_labour)]
            rng.shuffle(kinds)
            states = ["调解成功"] * (n_total - unresolved)
            states += [rng.choice(("调解中", "调解不成")) for _ in range(unresolved)]
            rng.shuffle(states)
            for kind, state in zip(kinds, states, strict=True):
                n = m.next("dispute")
                people = rng.randint(2, 40) if kind == "劳资纠纷" else rng.randint(2, 6)
                what = (f"{people}名务工人员反映被拖欠工资" if kind == "劳资纠纷" else f"{kind}，双方协商未果申请调解")
                m.rows["srcl_dispute"].append([f"TJ{t.code}{n:05d}", m.moment(rng, period, hours=False), t.county_code,
                                               t.code, kind, people, state, what])


def _count_rows(m: _Maker, code: str, salt: str) -> dict[tuple[str, str], int]:
    """(town, period) -> how many counted rows an indicator gets (planted or below blue)."""
    ind = library.indicators()[code]
    hot = _hotspots(m, code)
    out = {}
    for t in gazetteer.towns():
        for period in m.periods:
            rng = m.rng(salt, t, period)
            n = count_for(ind, hot[(t, period)], rng) if (t, period) in hot else None
            out[(t, period)] = n if n is not None else baseline_count(ind, rng, volume=m.knobs["volume"])
    return out


def _petitions(m: _Maker) -> None:
    counted = _count_rows(m, "srcl.petitions.repeat", "petition-count")
    topics = ("征地拆迁", "劳动社保", "城乡建设", "农村农业", "环境保护", "教育", "涉法涉诉")
    for (town_code, period), repeat in counted.items():
        t = gazetteer.towns()[town_code]
        rng = m.rng("petitions", town_code, period)
        flags = [(("是", "否") if rng.random() < 0.7 else ("否", "是")) for _ in range(repeat)]
        flags += [("否", "否") for _ in range(rng.randint(0, 3))]
        for again, skip in flags:
            n = m.next("petition")
            m.rows["srcl_petition"].append([f"XF{t.county_code}{n:06d}", m.moment(rng, period, hours=False),
                                            t.county_code, t.code, rng.choice(("来信", "来访", "网上信访")),
                                            rng.choice(topics), again, skip, rng.randint(1, 5)])


def _city_events(m: _Maker) -> None:
    safety = _count_rows(m, "srcl.city_operation.safety_events", "city-safety")
    housing = _count_rows(m, "srcl.housing_safety.unsafe_reports", "city-housing")
    for key, n_safety in safety.items():
        town_code, period = key
        t = gazetteer.towns()[town_code]
        rng = m.rng("city", town_code, period)
        kinds = [rng.choice(CITY_SAFETY) for _ in range(n_safety)] + ["房屋安全隐患"] * housing[key]
        kinds += [rng.choice(CITY_OTHER) for _ in range(rng.randint(0, 3))]
        for kind in kinds:
            n = m.next("city")
            where = address(rng, t)
            what = {"房屋安全隐患": rng.choice(HOUSING_TEXT), "燃气泄漏报警": "可燃气体探测器报警，燃气公司到场处置",
                    "电梯困人": "电梯故障困人，维保单位到场解救", "供水爆管": "供水管道爆裂，路面积水",
                    "道路塌陷": "路面塌陷形成坑洞", "积水内涝": "强降雨致低洼路段积水"}.get(kind, kind)
            m.rows["srcl_city_event"].append([f"CY{town_code}{n:06d}", m.moment(rng, period), t.county_code, town_code,
                                              kind, where, what, rng.choice(("已处置", "处置中", "已处置"))])


def _enterprise_monitor(m: _Maker) -> None:
    ind = library.indicators()["srcl.enterprise_operation.abnormal"]
    hot = _hotspots(m, ind.code)
    for t in gazetteer.towns().values():
        rng = m.rng("monitor-firms", t.code)
        firms = max(m.knobs["monitor"], min(30, t.population // 8000))
        names = [(make_uscc(rng, t.county_code), _firm_name(rng, t)) for _ in range(firms)]
        for period in m.periods:
            prng = m.rng("monitor", t.code, period)
            key = (t.code, period)
            target = None
            for severity in ((hot[key], "yellow", "blue") if key in hot else ()):
                c = count_for(ind, severity, prng)
                if c is not None and c <= firms:
                    target = c
                    break
            abnormal = target if target is not None else prng.randint(0, min(1, firms))
            bad = set(prng.sample(range(firms), min(abnormal, firms)))
            for i, (code, name) in enumerate(names):
                power, insured, tax = prng.randint(-15, 25), prng.randint(-8, 10), "正常申报"
                if i in bad:
                    signal = prng.choice(("power", "insured", "tax"))
                    if signal == "power":
                        power = prng.randint(-70, -31)
                    elif signal == "insured":
                        insured = prng.randint(-45, -21)
                    else:
                        tax = "欠税"
                m.rows["srcl_enterprise_monitor"].append([code, name, t.county_code, t.code, period, power, insured,
                                                          tax])


def _firm_name(rng: random.Random, t: Town) -> str:
    short = t.county_name[:2] if t.county_name != "吴兴区" else "湖州"
    word, _industry = rng.choice(INDUSTRIES)
    return f"{short}{rng.choice(BRAND)}{word}有限公司"


def _transit(m: _Maker) -> None:
    counted = _count_rows(m, "srcl.public_transport.driver_alarms", "transit-count")
    kinds = ("疲劳驾驶", "超速行驶", "分神驾驶", "接打手机", "车门未关行驶")
    for (town_code, period), n_counted in counted.items():
        t = gazetteer.towns()[town_code]
        rng = m.rng("transit", town_code, period)
        levels = [rng.choice(("二级", "三级")) for _ in range(n_counted)] + ["一级"] * rng.randint(0, 3)
        for level in levels:
            n = m.next("transit")
            plate = "浙E" + rng.choice("ABCDF") + "".join(rng.choice("0123456789") for _ in range(4))
            m.rows["srcl_transit_alarm"].append([f"BJ{n:08d}", m.moment(rng, period), t.county_code, town_code,
                                                 f"{rng.randint(1, 60)}路", plate, rng.choice(kinds), level])


def _injuries(m: _Maker) -> None:
    counted = _count_rows(m, "srcl.work_safety.injuries", "injury-count")
    for (town_code, period), n_key in counted.items():
        t = gazetteer.towns()[town_code]
        rng = m.rng("injury", town_code, period)
        texts = [(rng.choice(KEYWORD_TEXT), True) for _ in range(n_key)]
        texts += [(rng.choice(OTHER_INJURY), False) for _ in range(rng.randint(0, 2))]
        for text, _ in texts:
            n = m.next("injury")
            day = m.moment(rng, period, hours=False)
            accepted = (date.fromisoformat(day) + timedelta(days=rng.randint(3, 20))).isoformat()
            firm = _firm_name(rng, t)
            diagnosis = {"高处坠落": "腰椎压缩性骨折", "挤压": "右手示指挤压伤", "卷入": "左前臂皮肤撕脱伤",
                         "物体打击": "头皮裂伤、轻型颅脑损伤", "触电": "电击伤", "坍塌": "多发肋骨骨折"}
            diag = next((v for k, v in diagnosis.items() if k in text), "软组织挫伤")
            m.rows["srcl_work_injury"].append([
                f"GS{t.county_code}{n:06d}", accepted, day, t.county_code, town_code, firm,
                make_uscc(rng, t.county_code), m.name(rng), make_citizen_id(rng, t.county_code), f"{day}，{text}", diag,
                "认定为工伤"])


# ---------------------------------------------------------------- wages


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    town: Town
    contractor: str
    contractor_uscc: str
    account: str
    workers: int
    wage: int  # average monthly wage of a worker


def _sites(m: _Maker) -> list[Site]:
    rng = m.rng("sites")
    towns = list(gazetteer.towns().values())
    plant = gazetteer.towns()[PLANT_TOWN]
    kinds = ("安置房", "商品住宅", "标准厂房", "学校", "道路提升改造", "医院", "人才公寓", "农贸市场")
    out = []
    for i in range(m.knobs["sites"] + 5):
        t = plant if i < 5 else rng.choice(towns)
        contractor = f"浙江{rng.choice(BRAND)}建设集团有限公司"
        workers = 120 if i in (0, 3) else rng.randint(30, 260)
        wage = 7800 if i in (0, 3) else rng.randint(62, 92) * 100
        name = f"{rng.choice(ROADS)}{rng.choice(('东侧', '西侧', '南侧', '北侧'))}地块{rng.choice(kinds)}项目"
        account = f"1910{t.county_code[-4:]}{rng.randint(10 ** 10, 10 ** 11 - 1)}"
        out.append(Site(f"XM{t.county_code}{i + 1:04d}", name, t, contractor, make_uscc(rng, t.county_code), account,
                        workers, wage))
    return out


def wage_periods(m: _Maker) -> list[str]:
    """The months whose payday has passed by `as_of` (with room for a late payment before it)."""
    return [p for p in m.periods if payday(p) + timedelta(days=4) < m.as_of]


def _wages(m: _Maker) -> dict[str, Any]:
    sites = _sites(m)
    months = wage_periods(m)
    planted = {"unpaid": sites[0].code, "partial": sites[1].code, "late": sites[2].code, "paid_twin": sites[3].code,
               "split_ok": sites[4].code, "period": months[-1] if months else None}
    for s in sites:
        rng = m.rng("site", s.code)
        m.rows["srcl_construction_site"].append([s.code, s.name, s.contractor, s.contractor_uscc, s.town.county_code,
                                                 s.town.code, address(rng, s.town), f"{rng.randint(2022, 2024)}-0"
                                                 f"{rng.randint(1, 9)}-1{rng.randint(0, 9)}", s.workers, "在建"])
        m.rows["srcl_wage_account"].append([s.code, s.account, rng.choice(BANKS), "2022-03-01", "正常"])
    for period in months:
        due = payday(period)
        for s in sites:
            rng = m.rng("payroll", s.code, period)
            workers = s.workers if s.code in (sites[0].code, sites[3].code) else max(10, s.workers + rng.randint(-8, 8))
            expected = workers * s.wage
            m.rows["srcl_payroll_plan"].append([s.code, period, workers, f"{expected:.2f}", due.isoformat()])
            fate = "paid"
            if period == planted["period"]:
                fate = {sites[0].code: "unpaid", sites[1].code: "partial", sites[2].code: "late",
                        sites[4].code: "split"}.get(s.code, "paid")
            elif s.code not in planted.values() and rng.random() < 0.03:
                fate = rng.choice(("late", "partial"))
            _transfers(m, s, period, expected, workers, due, fate, rng)
    return planted


def _transfers(m: _Maker, s: Site, period: str, expected: int, workers: int, due: date, fate: str,
               rng: random.Random) -> None:
    def pay(amount: float, day: date, people: int) -> None:
        n = m.next("transfer")
        m.rows["srcl_wage_transfer"].append([f"DF{day:%Y%m%d}{n:07d}", s.account, period, day.isoformat(), people,
                                             f"{amount:.2f}", "代发工资"])

    if fate == "unpaid":
        return
    if fate == "partial":
        pay(round(expected * 0.6, 2), due - timedelta(days=2), int(workers * 0.6))
    elif fate == "late":
        pay(float(expected), due + timedelta(days=3), workers)
    elif fate == "split":
        first = round(expected * 0.7, 2)
        pay(first, due - timedelta(days=6), int(workers * 0.7))
        pay(round(expected - first, 2), due - timedelta(days=1), workers - int(workers * 0.7))
    else:
        pay(float(expected), due - timedelta(days=rng.randint(1, 8)), workers)


# ---------------------------------------------------------------- enterprise safety code

GOOD = {"B01": "是", "B02": "是", "B03": "是", "B04": "是", "B05": "是", "B06": "100", "B07": "100", "B08": "100",
        "B09": "是", "B10": "是", "B11": "100", "B12": "是", "B13": "是", "B14": "不涉及", "B15": "是",
        "P01": "无", "P02": "否", "P03": "否", "P04": "否", "N01": "0", "N02": "0", "N03": "0",
        "V01": "否", "V02": "否", "V03": "否", "V04": "否"}
# planted enterprises: (key, expected colour, facts over GOOD); the colours are stated, not computed
PLANTED_SAFETY: tuple[tuple[str, str, dict[str, str]], ...] = (
    # 100 + 4 + 2 + 2 + 2 = 110
    ("green", "green", {"P01": "二级", "P02": "是", "P03": "是", "P04": "是"}),
    # the same, with a fatal accident in the past year: one veto, red
    ("veto", "red", {"P01": "二级", "P02": "是", "P03": "是", "P04": "是", "V01": "是"}),
    # 100 − 6 (B09) − 6 (B12) − 3 (B06 at 70%) − 5 (one penalty) = 80
    ("yellow", "yellow", {"B09": "否", "B12": "否", "B06": "70", "N01": "1"}),
    # 100 − 8 (B03) − 8 (B05) − 6 (B10) − 4 (B13) − 10 (one major hazard) = 64
    ("orange", "orange", {"B03": "否", "B05": "否", "B10": "否", "B13": "否", "N02": "1"}),
    # 100 − 10 − 8 − 8 − 8 − 6 − 6 (B01 B02 B03 B05 B09 B10) − 10 (two penalties) = 44
    ("red", "red", {"B01": "否", "B02": "否", "B03": "否", "B05": "否", "B09": "否", "B10": "否", "N01": "2"}),
    # 100 − 8 (B03) − 6 (B12) − 3 (one complaint) + 2 (insured) = 85: on the green bound
    ("boundary_green", "green", {"B03": "否", "B12": "否", "N03": "1", "P02": "是"}),
    # the same with hazards fixed on time at 95%: 84.5, just under it
    ("boundary_yellow", "yellow", {"B03": "否", "B12": "否", "N03": "1", "P02": "是", "B06": "95"}),
)


def _safety(m: _Maker) -> dict[str, dict[str, str]]:
    planted: dict[str, dict[str, str]] = {}
    day = (m.as_of - timedelta(days=m.as_of.day)).isoformat()  # the last day of the previous month
    sources = {}
    from digigov.apps.rule_of_law.social_risk_closed_loop import safety_code

    for it in safety_code.definition().items:
        sources[it.code] = it.source
    plant_town = gazetteer.towns()[PLANT_TOWN]
    firms: list[tuple[str, str, str, Town, dict[str, str]]] = []
    rng = m.rng("safety-planted")
    for key, colour, facts in PLANTED_SAFETY:
        code = make_uscc(rng, plant_town.county_code)
        word, industry = INDUSTRIES[len(firms) % len(INDUSTRIES)]
        firms.append((code, f"湖州{BRAND[len(firms)]}{word}有限公司", industry, plant_town, {**GOOD, **facts}))
        planted[key] = {"uscc": code, "colour": colour}
    for t in gazetteer.towns().values():
        trng = m.rng("safety", t.code)
        for _ in range(m.knobs["safety"]):
            word, industry = trng.choice(INDUSTRIES)
            facts = dict(GOOD)
            for k in ("B01", "B02", "B03", "B04", "B05", "B09", "B10", "B12", "B13", "B15"):
                if trng.random() < 0.1:
                    facts[k] = "否"
            for k in ("B06", "B07", "B08", "B11"):
                facts[k] = str(trng.choice((100, 100, 100, 95, 90, 80, 60)))
            facts["P01"] = trng.choice(("无", "无", "三级", "二级", "一级"))
            facts["P02"] = trng.choice(("是", "否"))
            facts["N01"] = str(trng.choice((0, 0, 0, 0, 1, 2)))
            facts["N02"] = str(trng.choice((0, 0, 0, 0, 0, 1)))
            if trng.random() < 0.04:
                facts["V02"] = "是"
            if trng.random() < 0.05:
                facts.pop(trng.choice(("B07", "B11", "B15")))  # a fact the department did not report
            firms.append((make_uscc(trng, t.county_code), _firm_name(trng, t), industry, t, facts))
    for code, name, industry, t, facts in firms:
        rng = m.rng("safety-firm", code)
        m.rows["srcl_safety_enterprise"].append([code, name, industry, t.county_code, t.code, address(rng, t),
                                                 rng.randint(20, 600), rng.choice(("工贸企业", "危险化学品使用企业",
                                                                                   "粉尘涉爆企业", "涉有限空间企业"))])
        for indicator, value in facts.items():
            m.rows["srcl_safety_fact"].append([code, indicator, value, sources.get(indicator, ""), day])
    return planted


# ---------------------------------------------------------------- writing


def generate(directory: Path, *, seed: int, as_of: date, size: str = "small") -> Generated:
    """Write the departments' files and truth.json into `directory` (see the module's docstring)."""
    if size not in SIZES:
        raise ValueError(f"size is one of {', '.join(SIZES)}")
    m = _Maker(seed=seed, size=size, as_of=as_of, periods=periods_before(as_of, SIZES[size]["months"]))
    _towns(m)
    _police(m)
    _disputes(m)
    _petitions(m)
    _city_events(m)
    _enterprise_monitor(m)
    _transit(m)
    _injuries(m)
    wages = _wages(m)
    safety = _safety(m)
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for spec in datasets.ALL:
        path = directory / spec.filename
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(spec.headers)
            out.writerows(m.rows.get(spec.code, []))
        files[spec.code] = path
    facts = {"seed": seed, "size": size, "as_of": as_of.isoformat(), "periods": m.periods,
             "wage_periods": wage_periods(m), "wages": wages, "safety": safety,
             "theft_planted": dict(zip(("red", "orange", "yellow", "blue"), THEFT_TOWNS, strict=True)),
             "expected": truth.expected_warnings(m.rows), "rows": {k: len(v) for k, v in m.rows.items()}}
    (directory / "truth.json").write_text(json.dumps(facts, ensure_ascii=False, indent=1, sort_keys=True),
                                          encoding="utf-8")
    return Generated(directory, files, facts, as_of, m.periods)
