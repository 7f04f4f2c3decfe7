"""The 浙江外卖在线 risk (风险处置任务) as a case type of the platform's closed loop: risk found -> task to the
local bureau -> rectification -> re-check. Each kind of finding is a category with the department kind that handles
it (the county market-regulation bureau for merchants, the county human-resources bureau for riders' insurance,
the provincial bureau for a platform's delivery-time pressure) and its time limit."""

from __future__ import annotations

from digigov.apps.digital_government.food_delivery_online import reference
from digigov.platform.cases.types import CaseType, Category, FieldSpec, StepSLA

APP_ID = "food_delivery_online"
TYPE_CODE = "fdo.risk"
OWNER = "330000-market_regulation"  # 浙江省市场监督管理局: runs 浙江外卖在线 and dispatches its risks


def case_type() -> CaseType:
    return CaseType(
        code=TYPE_CODE,
        name="外卖在线风险处置",
        name_en="Food-delivery risk",
        app=APP_ID,
        owner_department=OWNER,
        prefix="WM",
        categories=tuple(Category(k.code, k.name, k.name_en, k.department_kind, k.tier, k.sla_workdays,
                                  k.severity == "red")
                         for k in reference.KINDS if k.department_kind),
        fields=(
            FieldSpec("subject", "核查对象", "Subject", max_length=80),
            FieldSpec("platform", "平台", "Platform", max_length=16),
        ),
        sla={"accept": StepSLA(workdays=1), "verify": StepSLA(workdays=3), "evaluate": StepSLA(workdays=3)},
        default_workdays=10,
        reminder_hours=24,
        rating_workdays=3,
    )
