"""Person and enterprise files (一人一档 / 一企一档): search by ID, USCC or name, and the file page an officer
starts from: the golden record, each department's section as the officer's grants allow, each link's evidence,
and (for the data authority's stewards) confirm / split."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register, translate
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import can, require
from digigov.platform.entities import service as entities
from digigov.web.pages.common import flash, redirect, render

router = APIRouter(include_in_schema=False)
Kind = Literal["person", "enterprise"]
FileId = Annotated[str, Path(min_length=2, max_length=40, pattern=r"^[PE][0-9a-fx]+$")]

register({
    "entities.title": ("一人一档 · 一企一档", "Person and enterprise files"),
    "entities.search": ("查档", "Find a file"),
    "entities.search_hint": ("公民身份号码、统一社会信用代码或姓名、企业名称", "Citizen ID, USCC, or a name"),
    "entities.none": ("没有找到档案", "No file found"),
    "entities.kind.person": ("人员档案", "Person file"),
    "entities.kind.enterprise": ("企业档案", "Enterprise file"),
    "entities.records": ("条记录", "records"),
    "entities.golden": ("标准信息（一数一源）", "Golden record (authoritative sources)"),
    "entities.history": ("其他部门记录的值", "Values other departments hold"),
    "entities.section_hidden": ("本部门无该数据的共享授权，仅显示记录数",
                                "Your department holds no grant for this data; only the count is shown"),
    "entities.basis.own": ("本部门数据", "Own department's data"),
    "entities.basis.grant": ("依共享授权", "Under a sharing grant"),
    "entities.basis.admin": ("平台管理员", "Platform administrator"),
    "entities.request": ("申请共享", "Request sharing"),
    "entities.outside": ("另有 {n} 条记录不在本部门共享授权的行范围内",
                         "{n} more records are outside your grant's rows"),
    "entities.method": ("关联方式", "Link"),
    "entities.method.id": ("证件号精确关联", "Exact on ID"),
    "entities.method.probabilistic": ("概率匹配", "Probabilistic"),
    "entities.method.single": ("单独成档", "On its own"),
    "entities.method.steward": ("人工确认", "Steward"),
    "entities.evidence": ("匹配依据", "Evidence"),
    "entities.quarantined": ("待修正（质检隔离）", "Quarantined"),
    "entities.confirm": ("确认归档", "Confirm"),
    "entities.split": ("拆出", "Split out"),
    "entities.reason": ("理由", "Reason"),
    "entities.decided": ("已记录：{action}，记录现属档案 {file}", "Recorded: {action}; the record is now in {file}"),
    "entities.decisions": ("人工判定", "Stewards' decisions"),
    "entities.attr.citizen_id": ("公民身份号码", "Citizen ID"),
    "entities.attr.name": ("名称", "Name"),
    "entities.attr.gender": ("性别", "Gender"),
    "entities.attr.birth_date": ("出生日期", "Birth date"),
    "entities.attr.address": ("地址", "Address"),
    "entities.attr.mobile": ("手机号码", "Mobile"),
    "entities.attr.death_date": ("死亡日期", "Date of death"),
    "entities.attr.uscc": ("统一社会信用代码", "USCC"),
    "entities.attr.legal_representative": ("法定代表人", "Legal representative"),
    "entities.attr.phone": ("电话", "Phone"),
    "entities.attr.status": ("登记状态", "Status"),
    "entities.attr.surname": ("姓氏", "Surname"),
    "entities.attr.county": ("县区", "County"),
})


@router.get("/entities")
def search(request: Request, actor: CurrentActor, session: DB, lang: Lang,
           q: Annotated[str, Query(max_length=100)] = "") -> Response:
    require(actor, "entities.view")
    hits = entities.find(session, actor, q) if q.strip() else []
    return render(request, "entities_search.html", {"q": q, "hits": hits}, actor=actor, session=session, lang=lang)


@router.get("/entities/{kind}/{file_id}")
def file_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, kind: Kind, file_id: FileId) -> Response:
    view = entities.file_view(session, actor, kind, file_id, purpose="file page")
    return render(request, "entities_file.html", {
        "view": view, "attributes": entities.attributes(kind), "may_decide": can(actor, "entities.decide")},
        actor=actor, session=session, lang=lang)


@router.post("/entities/{kind}/{file_id}/decide")
def decide(request: Request, actor: CurrentActor, session: DB, lang: Lang, kind: Kind, file_id: FileId,
           dataset: Annotated[str, Form(min_length=1, max_length=60)],
           record: Annotated[int, Form(ge=0, le=2_147_483_647)],
           action: Annotated[Literal["confirm", "split"], Form()],
           role: Annotated[str, Form(max_length=40)] = "",
           reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        with session.begin_nested():
            result = entities.decide(session, actor, kind=kind, file_id=file_id, dataset=dataset, record=record,
                                     role=role, action=action, reason=reason)
    except DigigovError as exc:
        if exc.http_status >= 500 or exc.code == "forbidden":
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/entities/{kind}/{file_id}")
    flash(request, translate("entities.decided", lang, action=translate(f"entities.{action}", lang),
                             file=result.moved_to), "success")
    return redirect(f"/entities/{kind}/{file_id}")
