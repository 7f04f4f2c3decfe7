"""The application's hooks: manifest, case type, rules (the risk-indicator library), indicators, bus consumer, routes,
demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from digigov.apps.hookspecs import hookimpl
from digigov.apps.rule_of_law.social_risk_closed_loop import case_type as ct


@hookimpl
def app_manifest() -> dict[str, Any]:
    return {
        "id": ct.APP_ID,
        "name": "湖州社会治理风险闭环管控",
        "name_en": "Huzhou closed-loop social-governance risk control",
        "system": "rule_of_law",
        "owner": ct.OWNER,
        "partners": ["330500-public_security", "330500-justice", "330500-human_resources", "330500-housing",
                     "330500-emergency_management", "330500-urban_management", "330500-transport",
                     "330500-market_regulation", "330500-civil_affairs"],
        "region": "330500",
        "problem": "社会治安、矛盾纠纷、城市运行、企业经营、公共交通、安全生产、欠薪等风险分散在各部门，"
                   "发现晚、处置散、不闭环：建立风险指标库，按阈值对每个乡镇（街道）分级预警（红橙黄蓝），形成预警任务清单派给乡镇（街道），"
                   "办理、反馈、核查、销号全程闭环，网格员现场上报，欠薪预警凭工资发放凭证销号，企业安全码红橙企业加密检查，"
                   "按区域评价风险闭环率。",
    }


@hookimpl
def case_types() -> list[Any]:
    return [ct.case_type()]


@hookimpl
def rules() -> list[dict[str, Any]]:
    from digigov.apps.rule_of_law.social_risk_closed_loop import library

    return library.rules()


@hookimpl
def indicators() -> list[dict[str, Any]]:
    with (Path(__file__).parent / "data" / "indicators.yaml").open(encoding="utf-8") as f:
        return list(yaml.safe_load(f)["indicators"])


@hookimpl
def bus_consumers() -> list[tuple[str, str, Any]]:
    from digigov.apps.rule_of_law.social_risk_closed_loop import service

    return [("srcl-signals", "signal.raised", service.on_signal)]


@hookimpl
def routers() -> list[Any]:
    from digigov.apps.rule_of_law.social_risk_closed_loop import pages

    return [pages.router]


@hookimpl
def build_demo(session: Any, actor: Any, size: str, seed: int, data_dir: Any, progress: Any) -> dict[str, Any]:
    from digigov.apps.rule_of_law.social_risk_closed_loop import demo

    return demo.build(session, actor, size=size, seed=seed, data_dir=data_dir, progress=progress)
