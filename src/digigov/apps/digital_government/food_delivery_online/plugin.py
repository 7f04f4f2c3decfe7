"""The application's hooks: manifest, case type, routes, demo."""

from __future__ import annotations

from typing import Any

from digigov.apps.digital_government.food_delivery_online import case_type as ct
from digigov.apps.hookspecs import hookimpl


@hookimpl
def app_manifest() -> dict[str, Any]:
    return {
        "id": ct.APP_ID,
        "name": "浙江外卖在线",
        "name_en": "Zhejiang Food-Delivery Online",
        "system": "digital_government",
        "owner": ct.OWNER,
        "partners": ["330000-public_security", "330000-human_resources", "330000-health", "330000-civil_affairs"],
        "region": "330000",
        "problem": "外卖商户无证、借证、超范围经营难发现，后厨不透明，骑手被算法压时、参保不实、交通事故多：平台数据与"
                   "证照、人社、公安数据碰撞，核验每家入网商户，阳光厨房全覆盖，算出合理配送时间区间，"
                   "形成平台健康指数，风险派给属地监管部门闭环处置。",
    }


@hookimpl
def case_types() -> list[Any]:
    return [ct.case_type()]


@hookimpl
def routers() -> list[Any]:
    from digigov.apps.digital_government.food_delivery_online import pages

    return [pages.router]


@hookimpl
def build_demo(session: Any, actor: Any, size: str, seed: int, data_dir: Any, progress: Any) -> dict[str, Any]:
    from digigov.apps.digital_government.food_delivery_online import demo

    return demo.build(session, actor, size=size, seed=seed, data_dir=data_dir, progress=progress)
