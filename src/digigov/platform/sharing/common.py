"""What every part of data sharing (共享) shares: the channels and grade thresholds, the Chinese-first messages,
the checks of free text, numbers and field lists, the Beijing day that usage and quotas count by, expiries, and a
field's effective grade. `service` re-exports the public names.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy.orm import Session

from digigov.core.errors import DigigovError, InvalidInput, NotFound
from digigov.core.i18n import register
from digigov.platform.standards import scheme
from digigov.platform.warehouse import governance
from digigov.platform.warehouse.model import Dataset, DatasetField

BULK_CHANNELS = ("api", "batch", "feed")
READ_CHANNELS = ("api", "batch")  # GET /api/v1/shared/{dataset} serves grants of these channels
UNMASKED_GRADE = "L1"  # a field graded above this is served masked unless the grant names it unmasked
AUTHORITY_FROM = "L3"  # a grant with a field at or above this grade also needs the data authority
BEIJING = timezone(timedelta(hours=8), "CST")
MAX_TEXT = 2000

register({
    "error.sharing_l4_bulk": ("{fields} 为第4级（核心）数据，不能批量共享，只能通过核验（verify）渠道逐条核验",
                              "{fields}: grade 4 (core) data is never shared in bulk; only single-record "
                              "verification (channel verify) is possible"),
    "error.sharing_no_grant": ("本部门没有数据集 {dataset} 的有效共享授权（未授权、已撤销或已过期）",
                               "Your department has no active grant for dataset {dataset} "
                               "(never granted, revoked or expired)"),
    "error.sharing_unknown_field": ("数据集没有字段：{fields}", "The dataset has no field: {fields}"),
    "error.sharing_unknown_column": ("数据集没有字段 {column}", "The dataset has no column {column}"),
    "error.sharing_bad_filter": ("行过滤条件有误", "The row filter is not valid"),
    "error.sharing_not_narrower": ("审批只能收窄申请：{what}", "A review can only narrow the request: {what}"),
    "error.sharing_own_dataset": ("本部门的数据集无需申请共享",
                                  "Your own department's dataset needs no sharing request"),
    "error.sharing_refusal_reason": ("不同意时请填写理由", "A refusal needs a reason"),
    "error.sharing_revoke_reason": ("撤销授权时请填写理由", "A revocation needs a reason"),
    "error.sharing_expiry": ("到期日应在今天之后、{days} 天以内",
                             "The expiry must be after today and within {days} days"),
    "error.sharing_verify_fields": ("核验须提供授权的全部字段：{fields}",
                                    "A verification names every granted field: {fields}"),
    "error.sharing_nothing_to_decide": ("该申请已是“{state}”状态，无需审批",
                                        "The request is {state}; nothing to decide"),
    "error.sharing_too_many": ("请求过于频繁或超出每日配额，请 {wait} 秒后再试",
                               "Too many requests or the daily quota is used up; retry in {wait} s"),
    "error.sharing_revoked": ("该授权已撤销", "The grant is already revoked"),
})


class RateLimited(DigigovError):
    """The grant's per-minute rate or daily row quota is used up; `retry_after` seconds until it is not."""

    code = "too_many_requests"
    http_status = 429

    def __init__(self, message: str, retry_after: int, **detail: object) -> None:
        super().__init__(message, key="sharing_too_many", wait=retry_after, **detail)
        self.retry_after = max(1, int(retry_after))


# ---- small helpers --------------------------------------------------------------------------------

def text_value(value: object, field: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    value = value.strip()
    if "\x00" in value or len(value) > MAX_TEXT:
        raise InvalidInput(f"{field} must be at most {MAX_TEXT} characters", field=field)
    if required and not value:
        raise InvalidInput(f"{field} is required", field=field)
    return value


def positive(value: object, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{field} must be a positive whole number", field=field)
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a positive whole number", field=field) from None
    if not 0 < number < 2**31:
        raise InvalidInput(f"{field} must be a positive whole number", field=field)
    return number


def name_list(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InvalidInput(f"{field} is a list of field names", field=field)
    out: list[str] = []
    for v in value:
        if not isinstance(v, str) or not v or len(v) > 128:
            raise InvalidInput(f"{field} is a list of field names", field=field)
        if v not in out:
            out.append(v)
    return out


def beijing_day(moment: datetime) -> str:
    """The day (UTC+8) a moment falls on, as YYYY-MM-DD: usage and quotas count per Beijing day."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).date().isoformat()


def seconds_to_next_day(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(BEIJING)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), BEIJING)
    return max(1, math.ceil((midnight - local).total_seconds()))


def expiry_of(value: object) -> datetime:
    """An expiry as the UTC moment it takes effect: a date means the end of that day in Beijing time."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput("expires must be a date (YYYY-MM-DD)", field="expires") from None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value + timedelta(days=1), time(0), BEIJING).astimezone(UTC)
    raise InvalidInput("expires must be a date (YYYY-MM-DD)", field="expires")


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def field_grade(fld: DatasetField) -> str:
    """A field's effective grade: the stricter of its grade and its national level's ("就高从严")."""
    try:
        return scheme.effective_grade(fld.grade, fld.gb_level)
    except (KeyError, ValueError):
        return "L4"  # an unreadable grade is treated as the strictest


def rank(grade: str) -> int:
    return scheme.grade_rank(grade)


def dataset_of(session: Session, code: str) -> Dataset:
    if not isinstance(code, str) or not code or len(code) > 60 or "\x00" in code:
        raise NotFound(f"dataset {str(code)[:60]} not found", key="dataset_not_found", dataset=str(code)[:60])
    return governance.find_dataset(session, code)


# ---- requests and review --------------------------------------------------------------------------
