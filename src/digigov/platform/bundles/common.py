"""What the parts of 一件事 share: limits, the Chinese-first error messages, and small helpers (cleaning text, masking
an ID number, the working-day calendar, event payloads, locking an application for update)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core import workdays
from digigov.core.errors import InvalidInput, NotFound
from digigov.core.i18n import register as register_messages
from digigov.platform.bundles.model import BundleApplication

MAX_MATERIAL_BYTES = 10 * 1024 * 1024
MAX_FILES = 30
MAX_VALUE = 500
MAX_TEXTAREA = 2000
MAX_NOTE = 2000
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
RESERVED = frozenset({"design", "applications", "ratings", "status", "work", "new"})  # page paths under /bundles
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
REFUSED_PREFIX = "【不予】"
APPROVED_PREFIX = "【准予】"

register_messages({
    "error.bundle_unknown": ("没有一件事“{code}”", "No bundle {code}"),
    "error.bundle_not_published": ("一件事“{name}”尚未发布或已下线", "The bundle {name} is not published"),
    "error.bundle_item_unknown": ("事项清单中没有事项 {item}", "No item {item} in the catalogue"),
    "error.bundle_code": ("编码须为 2-40 位小写字母、数字或下划线，以字母开头",
                          "A code is 2-40 lower-case letters, digits or _, starting with a letter"),
    "error.bundle_exists": ("编码 {code} 已被使用", "The code {code} is taken"),
    "error.bundle_name": ("请填写一件事名称（不超过 120 字）", "A name of at most 120 characters is required"),
    "error.bundle_lifecycle": ("请选择生命周期阶段", "Choose a life-cycle stage"),
    "error.bundle_region": ("没有行政区划 {region}", "No region {region}"),
    "error.bundle_lead": ("牵头部门类型无效：{kind}", "Unknown lead department kind {kind}"),
    "error.bundle_items": ("一件事至少包含两个不同事项", "A bundle has at least two different items"),
    "error.bundle_item_audience": ("事项“{item}”不属于该生命周期（{audience}）",
                                   "The item {item} is not for this life cycle ({audience})"),
    "error.bundle_steps": ("请填写 1-10 个办理环节（每个不超过 20 字）", "Give 1-10 steps of at most 20 characters"),
    "error.bundle_figures": ("跑动次数须在 0-10 之间，承诺时限须在 1-365 个工作日之间",
                             "Trips are 0-10 and the time limit 1-365 working days"),
    "error.bundle_no_department": ("{region} 没有办理部门：{departments}", "{region} has no department: {departments}"),
    "error.bundle_id_number": ("{who}的公民身份号码无效：{reason}",
                               "The ID number of the {who} is not valid: {reason}"),
    "error.bundle_applicant_name": ("请填写申请人姓名", "The applicant's name is required"),
    "error.bundle_field_required": ("请填写“{label}”", "{label} is required"),
    "error.bundle_field_invalid": ("“{label}”格式不正确", "{label} is not valid"),
    "error.bundle_materials_missing": ("请上传材料：{missing}", "Upload the materials: {missing}"),
    "error.bundle_material_unknown": ("“{name}”不是需要提交的材料", "{name} is not a material to upload"),
    "error.bundle_material_empty": ("材料“{name}”是空文件", "The material {name} is an empty file"),
    "error.bundle_material_too_large": ("材料“{name}”超过 {limit} 字节", "The material {name} is over {limit} bytes"),
    "error.bundle_too_many_files": ("材料不能超过 {limit} 个文件", "At most {limit} files"),
    "error.bundle_application_unknown": ("没有该一件事申请", "No such bundle application"),
    "error.bundle_item_not_waiting": ("事项 {item} 不在办理中", "The item {item} is not being handled"),
    "error.bundle_item_done": ("该事项已有办理结果", "This item already has a result"),
    "error.bundle_outcome": ("办理结果只能是准予或不予", "The outcome is approved or refused"),
    "error.bundle_note_required": ("请填写办理意见", "A note is required"),
    "error.bundle_certificate_required": ("准予时请填写{label}", "Give the {label} when approving"),
    "error.bundle_not_ratable": ("该申请尚未办结或已评价", "The application is not completed or is already rated"),
    "error.bundle_rating": ("评价须为 1-5 星", "A rating is 1 to 5 stars"),
    "error.bundle_not_returned": ("该事项未被退回，无需改派", "The item was not returned"),
    "error.bundle_no_workflow": ("申请缺少流程状态", "The application has no process state"),
})


def clean_text(value: Any, limit: int) -> str:
    text = " ".join(str(value or "").split()) if limit <= 200 else str(value or "").strip()
    if "\x00" in text:
        raise InvalidInput("control characters", key="bad_characters", field="text")
    return text[:limit]


def mask_id(number: str) -> str:
    return number[:6] + "********" + number[-4:] if len(number) == 18 else "*" * len(number)


def calendar(session: Session) -> workdays.Calendar:
    """The working-day calendar, read once per transaction."""
    cal = session.info.get("workdays_calendar")
    if cal is None:
        cal = session.info["workdays_calendar"] = workdays.load_calendar(session)
    return cal


def event_payload(app: BundleApplication) -> dict[str, Any]:
    """The documented payload of the `bundle.*` bus events."""
    return {"application_id": app.id, "receipt": app.receipt, "bundle": app.bundle_code,
            "region_code": app.region_code, "status": app.status, "result": app.result, "rating": app.rating,
            "submitted_at": app.submitted_at.isoformat() if app.submitted_at else None,
            "completed_at": app.completed_at.isoformat() if app.completed_at else None}


def locked(session: Session, app_id: int) -> BundleApplication:
    """The application, locked for update (PostgreSQL): two departments finishing at once join in turn."""
    session.execute(select(BundleApplication.id).where(BundleApplication.id == app_id).with_for_update())
    app = session.get(BundleApplication, app_id, populate_existing=True)
    if app is None:
        raise NotFound(f"no application {app_id}", key="bundle_application_unknown")
    return app
