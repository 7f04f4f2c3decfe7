"""The 跨省通办 application as a case type of the platform's closed loop (at the competent city).

Each catalogue item is a category: the department kind that handles it and its legal time limit in working
days, so the case engine gives an incoming application its deadline, its inbox and its history. Incoming
applications are dispatched on receipt (no dispatcher: the catalogue names the competent department), so
the type has no owner department.
"""

from __future__ import annotations

from digigov.apps.digital_government.cross_province_services import catalogue
from digigov.platform.cases.types import CaseType, Category, FieldSpec, StepSLA

APP_ID = "cross_province_services"
TYPE_CODE = "xps.application"
OWNER = "330800-big_data"  # 衢州市数据资源管理局: runs the platform at the origin of the programme


def case_type() -> CaseType:
    return CaseType(
        code=TYPE_CODE,
        name="跨省通办申请",
        name_en="Cross-province application",
        app=APP_ID,
        owner_department="",
        prefix="KS",
        categories=tuple(
            Category(i.code, i.name, i.name_en, i.department_kind, "city", i.time_limit)
            for i in catalogue.items().values()
        ),
        fields=(
            FieldSpec("xps_ref", "申请编号", "Application reference", max_length=48),
            FieldSpec("origin_city", "受理地", "Accepted at", max_length=6),
        ),
        sla={"accept": StepSLA(workdays=1), "verify": StepSLA(workdays=2), "evaluate": StepSLA(workdays=3)},
        default_workdays=5,
        reminder_hours=24,
        rating_workdays=3,
    )
