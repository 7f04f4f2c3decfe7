"""A rectification task of the Seven Problem Lists as a case type of the platform's closed loop: one category per
list (its owner kind and default time), dispatched by the list's keeper to the responsible department with the
problem's deadline; verified by the keeper (a red task only with evidence), closed by the keeper's acceptance."""

from __future__ import annotations

from digigov.apps.party_governance.seven_problem_lists import config
from digigov.platform.cases.types import CaseType, Category, FieldSpec, StepSLA

APP_ID = "seven_problem_lists"
TYPE_CODE = "spl.task"


def case_type() -> CaseType:
    return CaseType(
        code=TYPE_CODE,
        name="问题整改任务",
        name_en="Rectification task",
        app=APP_ID,
        owner_department="",  # each task's dispatcher is its problem's keeper (set on the case)
        prefix="ZG",
        categories=tuple(Category(pl.code, pl.name, pl.name_en, pl.owner_kind, "county", pl.workdays)
                         for pl in config.lists().values()),
        fields=(FieldSpec("problem", "问题编号", "Problem", max_length=32),),
        sla={"accept": StepSLA(workdays=2), "verify": StepSLA(workdays=5), "evaluate": StepSLA(workdays=5)},
        default_workdays=30,
        reminder_hours=72,
        escalate_after_hours=0,
        auto_verify=False,  # every rectification is checked by the list's keeper
        rating_workdays=5,
    )
