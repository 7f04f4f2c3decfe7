"""The 民呼我为 ticket (市民诉求工单) as a case type of the platform's closed loop."""

from __future__ import annotations

from digigov.apps.digital_society.people_call_we_act import taxonomy
from digigov.platform.cases.types import CaseType, Category, FieldSpec, StepSLA

APP_ID = "people_call_we_act"
TYPE_CODE = "people_call.ticket"
OWNER = "330100-hotline"  # 杭州市12345政务服务热线: intake, dispatch, follow-up calls
CITY = "330100"


def case_type() -> CaseType:
    return CaseType(
        code=TYPE_CODE,
        name="市民诉求",
        name_en="Citizen request",
        app=APP_ID,
        owner_department=OWNER,
        prefix="MH",
        categories=tuple(
            Category(c.code, c.name, c.name_en, c.department_kind, c.tier, c.sla_workdays, c.urgent)
            for c in taxonomy.CATEGORIES
        ),
        fields=(
            FieldSpec("text", "诉求内容", "What happened", "textarea", required=True, max_length=4000),
            FieldSpec("address", "地点", "Where", "text", max_length=300),
            FieldSpec("name", "称呼", "Your name", "text", max_length=60),
            FieldSpec("phone", "联系电话", "Phone", "text", max_length=30),
        ),
        # dispatch within 2 hours, sign within 1 working day, verification within 2, rating within 3
        sla={"triage": StepSLA(hours=2), "assign": StepSLA(hours=2), "accept": StepSLA(workdays=1),
             "verify": StepSLA(workdays=2), "evaluate": StepSLA(workdays=3)},
        default_workdays=5,
        reminder_hours=24,
        escalate_after_hours=0,
        rating_workdays=3,
    )
