"""The application's two case types in the platform's closed loop.

- `gps.case` (问题线索立案): a warning the county discipline commission files as a case; handled by the county's
  discipline commission, its category the matter of the warning.
- `gps.complaint` (监督一点通): a villager's complaint or suggestion; dispatched on receipt to the county's
  discipline commission, whose village supervision liaison station takes it (接单), handles it and answers; the
  villager follows it and rates the answer with a receipt code.

Both are dispatched on receipt (the village names the county), so neither has an owner department. Their
colour follows the deadlines only (`high_risk` empty): a filed case carries the warning's severity, but its
verification is the warning's own (on site, by the town), not the case engine's.
"""

from __future__ import annotations

from digigov.apps.party_governance.grassroots_power_supervision.matters import MATTERS, OTHER
from digigov.platform.cases.types import CaseType, Category, FieldSpec, StepSLA

APP_ID = "grassroots_power_supervision"
CASE = "gps.case"
COMPLAINT = "gps.complaint"
OWNER = "330000-discipline"  # 浙江省纪委监委: builds and runs the application
HANDLER_KIND = "discipline"  # the county's 纪委监委 handles both


def case_type() -> CaseType:
    return CaseType(
        code=CASE, name="问题线索立案", name_en="Case filed from a warning", app=APP_ID, owner_department="",
        prefix="JD",
        categories=tuple(Category(m.code, m.name, m.name_en, HANDLER_KIND, "county", 30) for m in MATTERS),
        fields=(FieldSpec("warning_id", "预警编号", "Warning", max_length=20),
                FieldSpec("rule", "碰撞规则", "Collision rule", max_length=80)),
        sla={"accept": StepSLA(workdays=2)}, default_workdays=30, reminder_hours=48, rating_workdays=3,
        high_risk=(),
    )


def complaint_type() -> CaseType:
    return CaseType(
        code=COMPLAINT, name="监督一点通", name_en="One-tap supervision", app=APP_ID, owner_department="",
        prefix="JB",
        categories=tuple(Category(m.code, m.name, m.name_en, HANDLER_KIND, "county", 7) for m in (*MATTERS, OTHER)),
        fields=(FieldSpec("text", "反映内容", "What happened", "textarea", required=True, max_length=2000),
                FieldSpec("village", "村（社区）", "Village", max_length=60),
                FieldSpec("receipt", "回执码", "Receipt code", max_length=16)),
        sla={"accept": StepSLA(workdays=1)}, default_workdays=7, reminder_hours=24, rating_workdays=5,
        high_risk=(),
    )
