"""Case types (工单类型): what an application declares about its cases.

A case type names its fields, its categories (each with the department kind that handles it and its
SLA), the BPMN process that runs it, the SLA of each step, and the permission action that decides who
may act at each step (`digigov.identity.permissions.RULES`). Applications register their types through
the `case_types` hook; the engine keeps them in this process-wide registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from digigov.core.errors import NotFound

PROCESSES = Path(__file__).parent / "processes"
CLOSED_LOOP = PROCESSES / "closed_loop.bpmn"

# The statuses of the common loop, in order, and the branches (see docs/cases.md).
STATUSES = ("intake", "triaged", "assigned", "in_progress", "responded", "verified", "closed")
BRANCHES = ("returned", "reopened")
OPEN_STATUSES = ("intake", "triaged", "assigned", "in_progress", "responded", "verified", "returned", "reopened")
# Which status a case has while a user task of the closed-loop process is waiting.
TASK_STATUS = {
    "triage": "intake",
    "assign": "triaged",
    "accept": "assigned",
    "handle": "in_progress",
    "verify": "responded",
    "evaluate": "verified",
}
DEFAULT_ACTORS = {
    "triage": "case.triage",
    "assign": "case.triage",
    "accept": "case.handle",
    "handle": "case.handle",
    "verify": "case.verify",
    "evaluate": "case.verify",
}
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")  # 满意 / 基本满意 / 不满意
SEVERITIES = ("red", "orange", "yellow", "blue")


@dataclass(frozen=True)
class StepSLA:
    """Time allowed for one step: working days on the official calendar, or clock hours."""

    workdays: int | None = None
    hours: float | None = None


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    department_kind: str
    tier: str = "county"  # where it is handled: county or city
    sla_workdays: int = 5
    urgent: bool = False


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    label_en: str
    type: str = "text"  # text, textarea, choice, number, date
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 2000


@dataclass(frozen=True)
class CaseType:
    code: str
    name: str
    name_en: str
    app: str
    owner_department: str  # department code that runs intake and dispatch, e.g. 330100-hotline
    prefix: str = "C"  # case numbers: <prefix><yyyymmdd><seq>
    process: Path = CLOSED_LOOP
    process_id: str = "closed_loop"
    categories: tuple[Category, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    sla: dict[str, StepSLA] = field(default_factory=dict)
    default_workdays: int = 5  # overall deadline when the category names none
    actors: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACTORS))
    task_status: dict[str, str] = field(default_factory=lambda: dict(TASK_STATUS))
    auto_verify: bool = True  # green cases skip human verification; red ones never do
    reminder_hours: float = 24.0  # remind this long before the deadline
    escalate_after_hours: float = 0.0  # escalate (督办) this long after the deadline
    rating_workdays: int = 3  # a verified case with no rating closes after this
    high_risk: tuple[str, ...] = ("red",)  # severities that make an open case red

    def category(self, code: str | None) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def step_sla(self, step: str) -> StepSLA | None:
        return self.sla.get(step)


_REGISTRY: dict[str, CaseType] = {}


def register(case_type: CaseType) -> None:
    _REGISTRY[case_type.code] = case_type


def get(code: str) -> CaseType:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise NotFound(f"no case type {code!r}", key="case_type_unknown", code=code) from None


def all_types() -> list[CaseType]:
    return sorted(_REGISTRY.values(), key=lambda t: t.code)


def unregister(code: str) -> None:
    _REGISTRY.pop(code, None)
