"""The Jinhua 2021 project pre-review (金华市2021年项目预审): the proposals put to the duplicate check.

The table is in `digigov/demo/data/proposals.json`.
"""

from __future__ import annotations

import random

from digigov.demo.content.assemble import core_applications
from digigov.demo.content.specs import DEFAULT_SEED, AppSpec, Proposal
from digigov.demo.content.tables import table

JINHUA = "330700"
PROPOSAL_COUNT = 62
EXPECTED_DISTRIBUTION = {"reject": 11, "reduce_budget": 30, "pass": 21}

# Additive rewording: a proposal restates an existing function with a word in front or behind, as a
# project application typically does ("诉求受理" -> "群众诉求受理", "电子运单核验" -> "电子运单核验功能").
_REWORD_PREFIXES = ("线上", "智能", "全程", "一键", "动态", "统一", "全域", "在线")
_REWORD_SUFFIXES = ("功能", "模块", "服务", "系统")


def restate(function: str, rng: random.Random) -> str:
    """`function` in different words: one short word added in front or behind."""
    if rng.random() < 0.55:
        choices = [p for p in _REWORD_PREFIXES if not function.startswith(p) and p not in function]
        return rng.choice(choices) + function
    choices = [s for s in _REWORD_SUFFIXES if not function.endswith(s) and s not in function]
    return function + rng.choice(choices)


def _basis_app(name: str) -> AppSpec:
    for a in core_applications():
        if a.name == name:
            return a
    raise KeyError(f"no core application {name!r}")


def proposals(seed: int = DEFAULT_SEED) -> list[Proposal]:
    """The 62 applications proposed by 24 Jinhua departments in the 2021 pre-review.

    Reject: restate nearly all functions of an existing application. Reduce: restate two or three
    functions of one and add three or four of its own. Pass: functions of its own only.
    """
    rows = table("proposals.json")
    rng = random.Random(f"{seed}:proposals")
    out: list[Proposal] = []
    for p in rows["reject"]:
        name, dept, basis, extra = p["name"], p["department"], p["basis"], p.get("extra_function", "")
        app = _basis_app(basis)
        k = max(4, round(len(app.functions) * 0.8))
        picked = sorted(rng.sample(range(len(app.functions)), min(k, len(app.functions))))
        functions = [restate(app.functions[i], rng) for i in picked]
        if extra:
            functions.append(extra)
        out.append(
            Proposal(
                name, dept, p["description"], tuple(functions), _proposal_budget(rng, dept), "reject", basis
            )
        )
    for p in rows["reduce_budget"]:
        name, dept, basis, fresh = p["name"], p["department"], p["basis"], p["fresh_functions"]
        app = _basis_app(basis)
        k = 2 if len(fresh) >= 4 else rng.choice((2, 3))
        picked = sorted(rng.sample(range(len(app.functions)), k))
        restated = [restate(app.functions[i], rng) for i in picked]
        functions = list(fresh)
        for f in restated:  # the overlapping functions sit among the proposal's own
            functions.insert(rng.randint(0, len(functions)), f)
        out.append(
            Proposal(
                name,
                dept,
                p["description"],
                tuple(functions),
                _proposal_budget(rng, dept),
                "reduce_budget",
                basis,
            )
        )
    for p in rows["pass"]:
        name, dept = p["name"], p["department"]
        out.append(
            Proposal(
                name, dept, p["description"], tuple(p["fresh_functions"]), _proposal_budget(rng, dept), "pass"
            )
        )
    rng.shuffle(out)
    return out


def _proposal_budget(rng: random.Random, dept: str) -> float:
    level = "city" if dept.startswith(JINHUA + "-") else "county"
    low, high = {"city": (300, 1500), "county": (80, 600)}[level]
    return float(round(rng.uniform(low, high) / 10) * 10)


# (proposal name, existing application name, expected verdict): pairs a test can check one by one.
KNOWN_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("金华市民情直通车", "民呼我为", "reject"),
    ("义乌市网络餐饮智慧监管", "浙江外卖在线", "reject"),
    ("金华市危险化学品全生命周期监管", "危化品全链条安全风险智控", "reject"),
    ("金华市学校食堂智慧监管", "浙江外卖在线", "reduce_budget"),
    ("金华市城市内涝预警", "污水管网数字孪生", "reduce_budget"),
    ("义乌市小商品城经营户信用监管", "浙江公平在线", "reduce_budget"),
    ("金华火腿产业大脑", "亲农在线", "pass"),
    ("金华市殡葬服务", "浙里养", "pass"),
)
