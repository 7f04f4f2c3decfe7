"""The application's hooks: manifest, case type, rules, indicators, routes, bus consumers, demo."""

from __future__ import annotations

from typing import Any

from digigov.apps.digital_society.people_call_we_act import case_type as ct
from digigov.apps.hookspecs import hookimpl


@hookimpl
def app_manifest() -> dict[str, Any]:
    return {
        "id": ct.APP_ID,
        "name": "民呼我为",
        "name_en": "The people call, we act",
        "system": "digital_society",
        "owner": ct.OWNER,
        "partners": ["330100-urban_management", "330100-housing", "330100-market_regulation"],
        "region": ct.CITY,
        "problem": "群众诉求渠道分散、派单靠人工、超期和不满意件无人督办：一个入口受理所有渠道，自动分类派单，"
                   "限时办理、回访评价、不满意重办，并分析热点。",
    }


@hookimpl
def case_types() -> list[Any]:
    return [ct.case_type()]


@hookimpl
def routers() -> list[Any]:
    from digigov.apps.digital_society.people_call_we_act import open311, pages

    return [pages.router, open311.router, open311.discovery]


@hookimpl
def rules() -> list[dict[str, Any]]:
    from digigov.apps.digital_society.people_call_we_act import shipped

    return shipped.rules()


@hookimpl
def indicators() -> list[dict[str, Any]]:
    from digigov.apps.digital_society.people_call_we_act import shipped

    return shipped.indicators()


@hookimpl
def build_demo(session: Any, actor: Any, size: str, seed: int, data_dir: Any, progress: Any) -> dict[str, Any]:
    from digigov.apps.digital_society.people_call_we_act import demo

    return demo.build(session, actor, size=size, seed=seed, progress=progress)
