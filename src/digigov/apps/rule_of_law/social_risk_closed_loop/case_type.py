"""The warning task (预警任务) as a case type of the platform's closed loop.

A task comes from a risk model's warning or a grid worker's report. The city's social-governance centre (湖州市社会
治理中心, hosted by the petitions bureau) owns the type and dispatches each task on receipt to the social-governance
centre of the task's county, for the town or street it names; there:

    签收 accept · 办理 handle  → the town's official (the county centre's officer posted to the town)
    反馈 respond                → the town reports what was found and done, with photos or evidence attached
    核查 verify                 → an approver of a social-governance centre covering the county (county or city);
                                  a red or orange task needs evidence attached (the platform refuses without)
    销号 evaluate               → the city centre closes the task out (or sends it back: 回头看, reopened)

A wage-arrears task closes on the town's upload of the payslip voucher (工资发放凭证), not before. Each domain of the
risk-indicator library is a category; red and orange tasks stay red while open.
"""

from __future__ import annotations

from digigov.apps.rule_of_law.social_risk_closed_loop import library
from digigov.platform.cases.types import DEFAULT_ACTORS, CaseType, Category, FieldSpec, StepSLA

APP_ID = "social_risk_closed_loop"
TYPE_CODE = "srcl.task"
OWNER = "330500-petitions"  # 湖州市社会治理中心 (in the city's petitions bureau): owns and dispatches the tasks
HANDLER_KIND = library.HANDLER_KIND  # the county's social-governance centre, with the towns' officials
SLA_WORKDAYS = {"red": 3, "orange": 5, "yellow": 10, "blue": 15}  # 整改时限 by severity


def case_type() -> CaseType:
    return CaseType(
        code=TYPE_CODE, name="社会治理风险预警任务", name_en="Social-governance risk task", app=APP_ID,
        owner_department=OWNER, prefix="FX",
        categories=tuple(Category(d.code, d.name, d.name_en, HANDLER_KIND, "county", SLA_WORKDAYS["yellow"])
                         for d in library.domains().values()),
        fields=(FieldSpec("task_id", "任务编号", "Task", max_length=20),
                FieldSpec("indicator", "风险指标", "Risk indicator", max_length=80),
                FieldSpec("town_code", "乡镇（街道）代码", "Town code", max_length=9),
                FieldSpec("period", "风险所属月份", "Month", max_length=7)),
        sla={"accept": StepSLA(workdays=1), "verify": StepSLA(workdays=2)},
        default_workdays=SLA_WORKDAYS["yellow"],
        actors={**DEFAULT_ACTORS, "verify": "case.supervise"},
        # a verified task the city centre leaves for 20 working days is closed by the deadline monitor (no_rating)
        auto_verify=False, reminder_hours=24, escalate_after_hours=24, rating_workdays=20,
        high_risk=("red", "orange"),
    )
