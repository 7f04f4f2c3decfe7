"""The case type of the engine's tests: the platform's closed loop, dispatched by Hangzhou's 12345 centre."""

from __future__ import annotations

from datetime import UTC, datetime

from digigov.platform.cases.types import CaseType, Category, StepSLA

TYPE = CaseType(
    code="test.complaint",
    name="测试投诉",
    name_en="Test complaint",
    app="tests",
    owner_department="330100-hotline",
    prefix="T",
    categories=(
        Category("noise", "噪音扰民", "Noise", "urban_management", "county", 5),
        Category("property", "物业管理", "Property management", "housing", "county", 10),
        Category("gas_leak", "燃气泄漏", "Gas leak", "emergency_management", "county", 1, urgent=True),
    ),
    sla={"triage": StepSLA(hours=2), "accept": StepSLA(workdays=1), "verify": StepSLA(workdays=2)},
    default_workdays=5,
    reminder_hours=24,
)
# Tuesday 2026-09-29 10:00 in Hangzhou (02:00 UTC): the National Day holiday starts on Thursday.
T0 = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)

