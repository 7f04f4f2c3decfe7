"""The case type of a bundle's items: each item of an application is a case in its department's inbox.

One category per catalogue item (its department kind, tier and legal time limit), the item process of
processes/bundle_item.bpmn (assign → accept → handle; a return goes back to assignment), no dispatching department
(the catalogue names who handles each item, so the platform assigns on receipt) and no citizen evaluation per item
(the applicant rates the bundle). Registered in the case engine when this module is imported.
"""

from __future__ import annotations

from digigov.platform.bundles import catalogue, process
from digigov.platform.cases import types
from digigov.platform.cases.types import CaseType, Category, FieldSpec, StepSLA

TYPE_CODE = "bundle.item"


def case_type() -> CaseType:
    return CaseType(
        code=TYPE_CODE,
        name="一件事事项办理",
        name_en="Bundle item",
        app="platform.bundles",
        owner_department="",
        prefix="YJ",
        process=process.ITEM,
        process_id=process.ITEM_ID,
        categories=tuple(
            Category(i.code, i.name, i.name_en, i.department_kind, i.tier if i.tier != "province" else "city",
                     i.time_limit)
            for i in catalogue.items().values()
        ),
        fields=(
            FieldSpec("bundle_receipt", "一件事受理编号", "Bundle receipt", max_length=32),
            FieldSpec("bundle", "一件事", "Bundle", max_length=40),
        ),
        sla={"accept": StepSLA(workdays=1)},
        default_workdays=5,
        actors={"assign": "case.triage", "accept": "case.handle", "handle": "case.handle"},
        task_status={"assign": "triaged", "accept": "assigned", "handle": "in_progress"},
        auto_verify=False,
        reminder_hours=24,
    )


def register() -> None:
    types.register(case_type())


register()
