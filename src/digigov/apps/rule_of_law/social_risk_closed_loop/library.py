"""The risk-indicator library (风险指标库, data/risk_library.yaml) as the platform's early-warning rules.

Each indicator becomes one batch rule of the platform (`digigov.platform.rules`): `rules()` wraps the indicator's
model in SQL that joins the town register, keeps the town-months at or beyond the blue threshold, grades each
red / orange / yellow / blue by the thresholds (`grade` does the same in Python, for pages and checks) and names
the county social-governance centre that dispatches the task. Parameters are numbers; keywords are Chinese words
(checked) written in as one regular expression. Nothing in the file is text spliced into SQL unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
SEVERITIES = ("red", "orange", "yellow", "blue")  # most urgent first
HANDLER_KIND = "petitions"  # the county social-governance centre (社会治理中心), hosted by the petitions bureau
KEYWORD = re.compile(r"^[\u4e00-\u9fff]{1,12}$")
# the wrapper's columns, not evidence
TECHNICAL = ("subject", "department_code", "region_code", "town", "town_code", "period", "value", "severity",
             "evidence_key")


@dataclass(frozen=True)
class Domain:
    code: str
    name: str
    name_en: str

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True)
class Indicator:
    code: str
    domain: str
    name: str
    name_en: str
    description: str
    description_en: str
    sources: tuple[str, ...]
    unit: str
    worse: str  # higher | lower
    thresholds: dict[str, float]  # blue, yellow, orange, red
    model: str
    grading: str = "thresholds"  # thresholds | model
    params: dict[str, float | int] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    schedule: str = "0 3 * * *"

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name


@cache
def _file() -> dict[str, Any]:
    with (DATA / "risk_library.yaml").open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


@cache
def domains() -> dict[str, Domain]:
    return {d["code"]: Domain(d["code"], d["name"], d["name_en"]) for d in _file()["domains"]}


def _numbers(raw: dict[str, Any], key: str, code: str) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for name, value in (raw.get(key) or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"indicator {code}: {key}.{name} must be a number")
        out[str(name)] = value
    return out


def _indicator(raw: dict[str, Any]) -> Indicator:
    code = str(raw["code"])
    if raw["domain"] not in domains():
        raise ValueError(f"indicator {code}: unknown domain {raw['domain']}")
    worse = raw.get("worse", "higher")
    if worse not in ("higher", "lower"):
        raise ValueError(f"indicator {code}: worse is higher or lower")
    grading = raw.get("grading", "thresholds")
    thresholds = _numbers(raw, "thresholds", code)
    if grading == "thresholds":
        if sorted(thresholds) != sorted(("blue", "yellow", "orange", "red")):
            raise ValueError(f"indicator {code}: give the four thresholds blue, yellow, orange, red")
        ladder = [thresholds[s] for s in ("blue", "yellow", "orange", "red")]
        if ladder != (sorted(ladder) if worse == "higher" else sorted(ladder, reverse=True)):
            raise ValueError(f"indicator {code}: thresholds must go from blue to red in the worse direction")
    keywords = tuple(str(k) for k in raw.get("keywords") or ())
    if any(not KEYWORD.match(k) for k in keywords):
        raise ValueError(f"indicator {code}: keywords are Chinese words only")
    return Indicator(code=code, domain=raw["domain"], name=raw["name"], name_en=raw.get("name_en", ""),
                     description=" ".join(str(raw.get("description", "")).split()),
                     description_en=" ".join(str(raw.get("description_en", "")).split()),
                     sources=tuple(raw.get("sources") or ()), unit=str(raw.get("unit", "")), worse=worse,
                     thresholds={k: float(v) for k, v in thresholds.items()}, model=str(raw["model"]),
                     grading=grading, params=_numbers(raw, "params", code), keywords=keywords,
                     schedule=str(raw.get("schedule", "0 3 * * *")))


@cache
def indicators() -> dict[str, Indicator]:
    """The library by indicator code (also the code of its platform rule)."""
    return {i.code: i for i in (_indicator(r) for r in _file()["indicators"])}


def indicator(code: str) -> Indicator | None:
    return indicators().get(code)


def grade(ind: Indicator, value: float | None) -> str | None:
    """The severity of `value` by the indicator's thresholds, or None below blue (no warning)."""
    if value is None or ind.grading != "thresholds":
        return None
    t = ind.thresholds
    for severity in SEVERITIES:
        if (value >= t[severity]) if ind.worse == "higher" else (value <= t[severity]):
            return severity
    return None


def _values(ind: Indicator) -> dict[str, Any]:
    values: dict[str, Any] = dict(ind.params)
    if ind.keywords:
        values["keywords"] = "|".join(ind.keywords)
        values["keyword_list"] = "、".join(ind.keywords)
    return values


def description(ind: Indicator, lang: str = "zh") -> str:
    """What the indicator measures, with its parameters written in (English when asked for and given)."""
    text = ind.description_en if lang == "en" and ind.description_en else ind.description
    return text.format_map(_values(ind)) if "{" in text else text


def model_sql(ind: Indicator) -> str:
    return ind.model.format_map(_values(ind))


def _num(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def rule_sql(ind: Indicator) -> str:
    """The platform rule's SQL: the model, the town register and (by thresholds) the grade."""
    model = model_sql(ind)
    if ind.grading == "model":
        graded = "SELECT m.* FROM m"
        where = ""
    else:
        op = ">=" if ind.worse == "higher" else "<="
        cases = " ".join(f"WHEN m.value {op} {_num(ind.thresholds[s])} THEN '{s}'" for s in SEVERITIES)
        # the code is checked by the rule spec's pattern and the thresholds are numbers
        graded = (f"SELECT '{ind.code}:' || m.town_code || ':' || m.period AS subject, "  # noqa: S608
                  f"CASE {cases} END AS severity, m.* FROM m")
        where = f" WHERE m.value {op} {_num(ind.thresholds['blue'])}"
    return (f"WITH m AS (\n{model}\n),\ng AS ({graded}{where})\n"
            f"SELECT g.*, t.\"乡镇街道\" AS town, t.\"县区代码\" AS region_code, "
            f"t.\"县区代码\" || '-{HANDLER_KIND}' AS department_code\n"
            f"FROM g JOIN clean.\"srcl_town\" t ON t.\"乡镇街道代码\" = g.town_code\n"
            f"ORDER BY g.subject, g.evidence_key")


def title(ind: Indicator) -> str:
    if ind.code == "srcl.wage_arrears.site_payment":
        return "{town}{项目名称}：{period}农民工工资{发放情况}（专用账户代发{value}%）"
    return "{town}{period}" + ind.name + "：{value}" + ind.unit


def rules() -> list[dict[str, Any]]:
    """The platform rule specs of the library, enabled, with their schedules."""
    return [{
        "code": ind.code, "name": ind.name, "name_en": ind.name_en, "description": description(ind),
        "kind": "sql", "severity": "column", "department": "column", "subject": "subject", "title": title(ind),
        "schedule": ind.schedule, "enabled": True, "sql": rule_sql(ind),
    } for ind in indicators().values()]
