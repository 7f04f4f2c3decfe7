"""Data sharing pages (共享): the request form (reached from a dataset's page), my department's requests and
grants, the inbox of the owner's steward and of the data authority (approve, narrow, refuse), revoke, usage.
Their JSON twins are in digigov.platform.sharing.api."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register, translate
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import can
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import CHANNELS, FILTER_OPS, ShareRequest
from digigov.platform.warehouse import governance
from digigov.web.pages.common import flash, redirect, render

router = APIRouter(include_in_schema=False)

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Code = Annotated[str, Query(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")]
Names = Annotated[list[Annotated[str, Form(max_length=128)]], Form(max_length=500)]
Op = Literal["", "=", "in", ">=", "<=", "prefix"]

register({
    "sharing.title": ("数据共享", "Data sharing"),
    "sharing.mine": ("本部门的共享申请与授权", "My department's requests and grants"),
    "sharing.request_title": ("申请共享数据", "Request shared data"),
    "sharing.request_button": ("申请共享", "Request sharing"),
    "sharing.inbox": ("共享审批", "Sharing approvals"),
    "sharing.inbox_empty": ("没有待审批的共享申请", "No sharing request waits for you"),
    "sharing.usage": ("共享调用统计", "Sharing usage"),
    "sharing.dataset": ("数据集", "Dataset"),
    "sharing.owner": ("数源部门", "Owner"),
    "sharing.consumer": ("申请部门", "Requesting department"),
    "sharing.purpose": ("用途", "Purpose"),
    "sharing.legal_basis": ("法律依据", "Legal basis"),
    "sharing.fields": ("字段", "Fields"),
    "sharing.field": ("字段", "Field"),
    "sharing.grade": ("分级", "Grade"),
    "sharing.want": ("申请", "Ask"),
    "sharing.unmasked": ("不脱敏", "Unmasked"),
    "sharing.masked": ("脱敏", "Masked"),
    "sharing.l4_note": ("第4级字段只能通过核验渠道逐条核验",
                        "Grade 4 fields can only be verified one record at a time"),
    "sharing.filter": ("行过滤", "Row filter"),
    "sharing.filter_hint": ("例如：region_code 前缀 330106 = 仅本区县",
                            "e.g. region_code prefix 330106 = own county only"),
    "sharing.extra_filter": ("追加行过滤", "Add a row filter"),
    "sharing.column": ("字段", "Column"),
    "sharing.op": ("条件", "Operator"),
    "sharing.value": ("值（“在…中”用逗号分隔）", "Value (comma-separated for 'in')"),
    "sharing.op.=": ("等于", "equals"),
    "sharing.op.in": ("在…中", "in"),
    "sharing.op.>=": ("不小于", "at least"),
    "sharing.op.<=": ("不大于", "at most"),
    "sharing.op.prefix": ("前缀", "prefix"),
    "sharing.channel": ("渠道", "Channel"),
    "sharing.channel.api": ("接口", "API"),
    "sharing.channel.batch": ("批量", "Batch"),
    "sharing.channel.feed": ("订阅", "Feed"),
    "sharing.channel.verify": ("核验", "Verify"),
    "sharing.expires": ("到期日", "Expires"),
    "sharing.quota": ("每日行数上限", "Rows per day"),
    "sharing.rate": ("每分钟请求上限", "Requests per minute"),
    "sharing.submit": ("提交申请", "Submit request"),
    "sharing.submitted": ("共享申请 #{id} 已提交", "Sharing request #{id} submitted"),
    "sharing.state": ("状态", "State"),
    "sharing.state.owner_review": ("待数源部门审核", "Owner review"),
    "sharing.state.authority_review": ("待大数据局审核", "Data authority review"),
    "sharing.state.granted": ("已授权", "Granted"),
    "sharing.state.refused": ("未通过", "Refused"),
    "sharing.requests": ("共享申请", "Requests"),
    "sharing.grants_held": ("本部门获得的授权", "Grants we hold"),
    "sharing.grants_given": ("本部门给出的授权", "Grants we have given"),
    "sharing.none": ("暂无", "None yet"),
    "sharing.active": ("有效", "Active"),
    "sharing.revoked": ("已撤销", "Revoked"),
    "sharing.expired": ("已过期", "Expired"),
    "sharing.revoke": ("撤销授权", "Revoke"),
    "sharing.revoke_reason": ("撤销理由", "Reason"),
    "sharing.revoked_msg": ("授权 #{id} 已撤销", "Grant #{id} revoked"),
    "sharing.decide": ("审批", "Decision"),
    "sharing.narrow_hint": ("可取消勾选字段、取消不脱敏、追加行过滤、提前到期日或降低上限，以收窄授权",
                            "Untick fields or unmasking, add a row filter, bring the expiry forward or lower the "
                            "limits to narrow the grant"),
    "sharing.comment": ("审批意见（不同意时必填）", "Comment (required to refuse)"),
    "sharing.approve": ("同意", "Approve"),
    "sharing.refuse": ("不同意", "Refuse"),
    "sharing.decided": ("共享申请 #{id} 已审批", "Sharing request #{id} decided"),
    "sharing.reviews": ("审批记录", "Reviews"),
    "sharing.grant": ("授权", "Grant"),
    "sharing.api_hint": ("通过接口读取", "Read through the API"),
    "sharing.day": ("日期", "Day"),
    "sharing.calls": ("调用次数", "Calls"),
    "sharing.rows": ("行数", "Rows"),
    "sharing.usage.consumer": ("本部门调用", "Our calls"),
    "sharing.usage.owner": ("本部门数据被调用", "Calls on our data"),
    "sharing.usage.all": ("全部共享调用（考核）", "All sharing calls (KPI)"),
    "sharing.total": ("合计", "Total"),
    "sharing.requester": ("申请人", "Requester"),
    "sharing.submitted_at": ("提交时间", "Submitted"),
})


def _user_error(exc: DigigovError) -> bool:
    return exc.http_status in (404, 409, 422)


def _condition(column: str, op: str, value: str) -> list[dict[str, Any]]:
    """One form condition (text values; `in` splits on commas); none when the form row is left empty."""
    if not column or not op or not value.strip():
        return []
    if op == "in":
        return [{"column": column, "op": op, "value": [v.strip() for v in value.split(",") if v.strip()]}]
    return [{"column": column, "op": op, "value": value.strip()}]


def _grades(session: DB, code: str) -> dict[str, str]:
    ds = governance.find_dataset(session, code)
    return {f.column: sharing.field_grade(f) for f in ds.fields}


def _common(lang: str) -> dict[str, Any]:
    return {"channels": CHANNELS, "ops": FILTER_OPS,
            "state_label": lambda s: translate(f"sharing.state.{s}", lang)}


@router.get("/sharing")
def mine(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    return render(request, "sharing_mine.html", {
        "requests": sharing.my_requests(session, actor), "held": sharing.grants(session, actor, side="consumer"),
        "given": sharing.grants(session, actor, side="owner"), "is_active": sharing.is_active,
        "may_revoke": lambda g: can(actor, "sharing.revoke", g), **_common(lang)},
        actor=actor, session=session, lang=lang)


@router.get("/sharing/request")
def request_form(request: Request, actor: CurrentActor, session: DB, lang: Lang, dataset: Code) -> Response:
    ds = governance.find_dataset(session, dataset)
    return render(request, "sharing_request_form.html", {
        "ds": ds, "grades": _grades(session, dataset),
        "default_expires": (date.today() + timedelta(days=90)).isoformat(),
        **_common(lang)}, actor=actor, session=session, lang=lang)


@router.post("/sharing/request")
def submit(request: Request, actor: CurrentActor, session: DB, lang: Lang,
           dataset: Annotated[str, Form(min_length=1, max_length=60)],
           purpose: Annotated[str, Form(max_length=2000)] = "",
           legal_basis: Annotated[str, Form(max_length=2000)] = "",
           fields: Names = [],  # noqa: B006  (FastAPI copies form defaults)
           unmasked: Names = [],  # noqa: B006
           channel: Annotated[Literal["api", "batch", "feed", "verify"], Form()] = "api",
           expires: Annotated[str, Form(max_length=10)] = "",
           quota: Annotated[str, Form(max_length=10, pattern=r"^[0-9]*$")] = "",
           rate: Annotated[str, Form(max_length=10, pattern=r"^[0-9]*$")] = "",
           filter_column: Annotated[str, Form(max_length=128)] = "",
           filter_op: Annotated[Op, Form()] = "",
           filter_value: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        with session.begin_nested():
            req = sharing.submit_request(
                session, actor, dataset=dataset, purpose=purpose, legal_basis=legal_basis, fields=fields,
                unmasked=unmasked, row_filter=_condition(filter_column, filter_op, filter_value), channel=channel,
                expires=expires, quota_rows_per_day=quota or None, rate_per_minute=rate or None)
    except DigigovError as exc:
        if not _user_error(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/sharing/request?dataset={dataset}" if dataset.isascii() else "/sharing")
    flash(request, translate("sharing.submitted", lang, id=req.id), "success")
    return redirect(f"/sharing/requests/{req.id}")


def _may_decide(actor: Actor, req: ShareRequest) -> bool:
    if req.state == "owner_review":
        return can(actor, "sharing.review", req)
    if req.state == "authority_review":
        return can(actor, "sharing.review_authority", req)
    return False


@router.get("/sharing/requests/{request_id}")
def request_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, request_id: Id) -> Response:
    req = sharing.get_request(session, actor, request_id)
    return render(request, "sharing_request.html", {
        "req": req, "terms": sharing.terms(req), "grant": sharing.grant_of(session, req),
        "may_decide": _may_decide(actor, req), "grades": _grades(session, req.dataset_code),
        "is_active": sharing.is_active, **_common(lang)}, actor=actor, session=session, lang=lang)


@router.post("/sharing/requests/{request_id}/decide")
def decide(request: Request, actor: CurrentActor, session: DB, lang: Lang, request_id: Id,
           decision: Annotated[Literal["approve", "refuse"], Form()],
           comment: Annotated[str, Form(max_length=2000)] = "",
           fields: Names = [],  # noqa: B006
           unmasked: Names = [],  # noqa: B006
           expires: Annotated[str, Form(max_length=10)] = "",
           quota: Annotated[str, Form(max_length=10, pattern=r"^[0-9]*$")] = "",
           rate: Annotated[str, Form(max_length=10, pattern=r"^[0-9]*$")] = "",
           filter_column: Annotated[str, Form(max_length=128)] = "",
           filter_op: Annotated[Op, Form()] = "",
           filter_value: Annotated[str, Form(max_length=2000)] = "") -> Response:
    target = f"/sharing/requests/{request_id}"
    try:
        with session.begin_nested():
            req = sharing.get_request(session, actor, request_id)
            current = sharing.terms(req)
            sharing.decide(
                session, actor, request_id, approve=decision == "approve", comment=comment,
                fields=fields if decision == "approve" else None, unmasked=unmasked if decision == "approve" else None,
                extra_filter=_condition(filter_column, filter_op, filter_value),
                expires=expires if expires and expires != current["expires_at"][:10] else None,
                quota_rows_per_day=quota or None, rate_per_minute=rate or None)
    except DigigovError as exc:
        if not _user_error(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(target)
    flash(request, translate("sharing.decided", lang, id=request_id), "success")
    return redirect(target)


@router.get("/sharing/inbox")
def inbox(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    return render(request, "sharing_inbox.html", {"items": sharing.inbox(session, actor), **_common(lang)},
                  actor=actor, session=session, lang=lang)


@router.post("/sharing/grants/{grant_id}/revoke")
def revoke(request: Request, actor: CurrentActor, session: DB, lang: Lang, grant_id: Id,
           reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        with session.begin_nested():
            sharing.revoke(session, actor, grant_id, reason=reason)
    except DigigovError as exc:
        if not _user_error(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect("/sharing")
    flash(request, translate("sharing.revoked_msg", lang, id=grant_id), "success")
    return redirect("/sharing")


@router.get("/sharing/usage")
def usage(request: Request, actor: CurrentActor, session: DB, lang: Lang,
          days: Annotated[int, Query(ge=1, le=366)] = 30) -> Response:
    scopes = ["consumer", "owner"] + (["all"] if can(actor, "sharing.usage") else [])
    tables = {s: sharing.usage(session, actor, scope=s, days=days) for s in scopes}
    return render(request, "sharing_usage.html", {"tables": tables, "days": days, **_common(lang)},
                  actor=actor, session=session, lang=lang)
