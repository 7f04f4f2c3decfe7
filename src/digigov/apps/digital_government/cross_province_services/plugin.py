"""The application's hooks: manifest, case type, bus consumer, routes, demo.

Importing `service` registers the federation handlers of `xps.apply`, `xps.status` and `xps.result`.
"""

from __future__ import annotations

from typing import Any

from digigov.apps.digital_government.cross_province_services import case_type as ct
from digigov.apps.digital_government.cross_province_services import service
from digigov.apps.hookspecs import hookimpl


@hookimpl
def app_manifest() -> dict[str, Any]:
    return {
        "id": ct.APP_ID,
        "name": "四省边际政务服务跨省通办",
        "name_en": "Cross-province services of the four border cities",
        "system": "digital_government",
        "owner": ct.OWNER,
        "partners": ["330800-human_resources", "330800-public_security", "330800-housing",
                     "330800-market_regulation", "330800-medical_security"],
        "region": "330800",
        "problem": "浙闽赣皖四省交界的群众和企业办事要跑到户籍地或参保地：在衢州、南平、上饶、黄山任一窗口受理，"
                   "材料经联邦通道推送到有权城市办理，结果返回受理地，异地办、跑一次。",
    }


@hookimpl
def case_types() -> list[Any]:
    return [ct.case_type()]


@hookimpl
def bus_consumers() -> list[tuple[str, str, Any]]:
    return [("xps-cases", "case.accept, case.respond", service.on_case_event)]


@hookimpl
def periodic_jobs() -> list[tuple[str, Any]]:
    return [("xps.retry", lambda factory, now: service.retry_due(factory, now=now))]


@hookimpl
def routers() -> list[Any]:
    from digigov.apps.digital_government.cross_province_services import pages

    return [pages.router]


@hookimpl
def build_demo(session: Any, actor: Any, size: str, seed: int, data_dir: Any, progress: Any) -> dict[str, Any]:
    from digigov.apps.digital_government.cross_province_services import demo

    return demo.build(session, actor, seed=seed)
