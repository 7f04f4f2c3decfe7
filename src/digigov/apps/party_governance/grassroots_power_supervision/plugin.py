"""The application's hooks: manifest, case types, rules, indicators, bus consumer, periodic job, routes, demo."""

from __future__ import annotations

from typing import Any

from digigov.apps.hookspecs import hookimpl
from digigov.apps.party_governance.grassroots_power_supervision import case_type as ct


@hookimpl
def app_manifest() -> dict[str, Any]:
    return {
        "id": ct.APP_ID,
        "name": "基层公权力大数据监督",
        "name_en": "Big-data supervision of grassroots public power",
        "system": "party_governance",
        "owner": ct.OWNER,
        "partners": ["330000-public_security", "330000-civil_affairs", "330000-human_resources",
                     "330000-market_regulation", "330000-agriculture"],
        "region": "330000",
        "problem": "村级工程、劳务用工、资产资源、救助补助、村级采购、印章管理等村级小微权力运行不透明，"
                   "信访和案件多发于基层：归集六大高频事项数据，与户籍、社保、企业登记、死亡登记碰撞，预警红色不经现场核查不销号，"
                   "群众通过“监督一点通”反映问题，村级监察工作联络站接单反馈。",
    }


@hookimpl
def case_types() -> list[Any]:
    return [ct.case_type(), ct.complaint_type()]


@hookimpl
def rules() -> list[dict[str, Any]]:
    from digigov.apps.party_governance.grassroots_power_supervision import shipped

    return shipped.rules()


@hookimpl
def indicators() -> list[dict[str, Any]]:
    from digigov.apps.party_governance.grassroots_power_supervision import shipped

    return shipped.indicators()


@hookimpl
def bus_consumers() -> list[tuple[str, str, Any]]:
    from digigov.apps.party_governance.grassroots_power_supervision import service

    return [("gps-signals", "signal.raised", service.on_signal)]


@hookimpl
def periodic_jobs() -> list[tuple[str, Any]]:
    from digigov.apps.party_governance.grassroots_power_supervision import service
    from digigov.core.db import unit_of_work

    def overdue(factory: Any, now: Any) -> int:
        with unit_of_work(factory) as session:
            return service.mark_overdue(session, now=now)

    return [("gps.overdue", overdue)]


@hookimpl
def routers() -> list[Any]:
    from digigov.apps.party_governance.grassroots_power_supervision import pages

    return [pages.router]


@hookimpl
def build_demo(session: Any, actor: Any, size: str, seed: int, data_dir: Any, progress: Any) -> dict[str, Any]:
    from digigov.apps.party_governance.grassroots_power_supervision import demo

    return demo.build(session, actor, size=size, seed=seed, data_dir=data_dir, progress=progress)
