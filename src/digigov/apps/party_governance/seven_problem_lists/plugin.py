"""The application's hooks: manifest, case type, the case-event consumer, the overdue job, routes, demo."""

from __future__ import annotations

from typing import Any

from digigov.apps.hookspecs import hookimpl
from digigov.apps.party_governance.seven_problem_lists import case_type as ct
from digigov.apps.party_governance.seven_problem_lists import service


@hookimpl
def app_manifest() -> dict[str, Any]:
    return {
        "id": ct.APP_ID,
        "name": "七张问题清单",
        "name_en": "Seven Problem Lists",
        "system": "party_governance",
        "owner": "330000-reform_office",
        "partners": ["330000-discipline", "330000-audit", "330000-ecology_environment",
                     "330000-emergency_management", "330000-petitions"],
        "region": "330000",
        "problem": "巡视巡察、督察、审计、安全生产、信访、媒体曝光、党建七类重大问题分散在各部门，整改不闭环、易反弹："
                   "统一登记、分解交办、整改跟踪、办结销号、验收评价、回头看，红黄绿督办，按季度综合分析、由治到防。",
    }


@hookimpl
def case_types() -> list[Any]:
    return [ct.case_type()]


@hookimpl
def bus_consumers() -> list[tuple[str, str, Any]]:
    return [("spl-cases", "case.>", service.on_case_event)]


@hookimpl
def periodic_jobs() -> list[tuple[str, Any]]:
    def job(factory: Any, now: Any) -> int:
        from digigov.core.db import unit_of_work

        with unit_of_work(factory) as s:
            return service.escalate_overdue(s, now)

    return [("spl.escalate_overdue", job)]


@hookimpl
def routers() -> list[Any]:
    from digigov.apps.party_governance.seven_problem_lists import pages

    return [pages.router]


@hookimpl
def build_demo(session: Any, actor: Any, size: str, seed: int, data_dir: Any, progress: Any) -> dict[str, Any]:
    from digigov.apps.party_governance.seven_problem_lists import demo

    return demo.build(session, actor, seed=seed)
