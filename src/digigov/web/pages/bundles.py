"""Pages of "一件事" (bundles).

For everyone (no login: the citizen portal): the bundles by life-cycle stage, a bundle with its items, materials
checklist and savings, the application in two steps (who it is about, then the merged form prefilled with what the
departments hold, and the materials), the status page behind the token given on submission (each item's progress,
the combined result, the rating), and the ratings and savings of every bundle.

For staff: the designer (the item catalogue, a bundle's editor, its merged form, materials and savings, publish and
withdraw), the applications their department leads or handles, and an application with the decision form of the
items their department handles. `?format=json` (or an `Accept: application/json` client) gets the JSON twin of the
bundle, status and ratings pages.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from digigov.core.errors import DigigovError, PermissionDenied
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register, translate
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor, OptionalActor, check_csrf
from digigov.identity.permissions import can, require
from digigov.identity.regions import department_kinds
from digigov.platform.bundles import catalogue, service, stats
from digigov.platform.bundles.merge import MergedForm
from digigov.platform.bundles.model import BundleApplication, BundleDefinition
from digigov.platform.cases import service as cases
from digigov.platform.standards import registry
from digigov.web.pages.common import flash, redirect, render, wants_json

router = APIRouter(include_in_schema=False)
Code = Annotated[str, Path(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]+$")]
Token = Annotated[str, Path(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

register({
    "nav.bundles": ("一件事", "One-thing services"),
    "bundles.title": ("一件事集成服务", "One-thing integrated services"),
    "bundles.lead": ("多个部门的多个事项，一次告知、一表申请、一套材料、一窗受理、并联办理、统一出件。",
                     "Several items of several departments as one service: one form, one set of materials, handled "
                     "in parallel, one result."),
    "bundles.audience.citizen": ("个人全生命周期", "Citizen life cycle"),
    "bundles.audience.enterprise": ("企业全生命周期", "Enterprise life cycle"),
    "bundles.none": ("暂无已发布的一件事", "No bundle is published yet"),
    "bundles.items": ("包含事项", "Items"),
    "bundles.n_items": ("包含 {n} 个事项", "{n} items"),
    "bundles.summary": ("各一件事成效一览", "Every bundle at a glance"),
    "bundles.comments": ("最新评价", "Latest comments"),
    "bundles.item": ("事项", "Item"),
    "bundles.department": ("办理部门", "Department"),
    "bundles.partner": ("合作方", "Partner"),
    "bundles.lead_department": ("牵头部门", "Lead department"),
    "bundles.time_limit": ("法定时限", "Legal time limit"),
    "bundles.promise": ("承诺时限", "Promised time"),
    "bundles.workdays": ("{n} 个工作日", "{n} working days"),
    "bundles.trips": ("跑动次数", "Trips"),
    "bundles.trips_n": ("{n} 次", "{n}"),
    "bundles.steps": ("办理环节", "Steps"),
    "bundles.fields": ("填写字段", "Fields to fill"),
    "bundles.materials": ("申请材料", "Materials"),
    "bundles.days": ("办理时间（工作日）", "Time (working days)"),
    "bundles.savings": ("减环节、减材料、减时间、减跑动", "What the bundle saves"),
    "bundles.before": ("分别办理", "Item by item"),
    "bundles.after": ("一件事", "As one thing"),
    "bundles.saved": ("减少", "Saved"),
    "bundles.apply": ("在线申请", "Apply online"),
    "bundles.identify": ("第一步：申请人与相关人员身份", "Step 1: who the application is about"),
    "bundles.identify_hint": ("填写身份信息后，平台将用各办理部门已有（本部门数据或经共享授权）的数据预填申请表。",
                              "The platform then prefills the form with data the departments hold (their own or "
                              "under a sharing grant)."),
    "bundles.applicant_name": ("申请人姓名", "Applicant's name"),
    "bundles.id_of": ("{who}公民身份号码", "ID number of the {who}"),
    "bundles.next": ("下一步", "Next"),
    "bundles.form": ("第二步：一表申请", "Step 2: the merged form"),
    "bundles.verified": ("身份核验通过：标注“已预填”的信息来自部门数据，无需填写。",
                         "Identity checked: fields marked prefilled come from the departments' data."),
    "bundles.not_verified": ("未能核验申请人身份（姓名与户籍信息不一致或未查到），请完整填写申请表。",
                             "The applicant could not be matched to the population register: fill in the whole "
                             "form."),
    "bundles.prefilled": ("已预填", "Prefilled"),
    "bundles.source": ("来源：{dataset}（{owner}），{basis}", "From {dataset} ({owner}), {basis}"),
    "bundles.basis.own": ("{department}本部门数据", "{department}'s own data"),
    "bundles.basis.grant": ("{department}共享授权 #{grant}", "grant #{grant} of {department}"),
    "bundles.shared_by": ("{n} 个事项共用，只填一次", "Asked once for {n} items"),
    "bundles.asked_once": ("身份信息（第一步已填）", "Identity (given in step 1)"),
    "bundles.subject_fields": ("{who}信息", "{who}"),
    "bundles.item_fields": ("{item}专项信息", "{item}: its own fields"),
    "bundles.upload": ("上传", "Upload"),
    "bundles.exempt.merged_form": ("免提交：由一表申请代替", "Not needed: the merged form replaces it"),
    "bundles.exempt.issued": ("免提交：由“{item}”办结后部门间流转（电子证照）",
                              "Not needed: issued by {item} and passed between the departments"),
    "bundles.exempt.data": ("免提交：办理部门通过数据共享核验", "Not needed: the departments check it in shared data"),
    "bundles.must_submit": ("需提交", "To submit"),
    "bundles.missing_access": ("（{items}的办理部门无数据授权）", "({items}: the department has no grant)"),
    "bundles.original": ("原件", "Original"),
    "bundles.copy": ("复印件", "Copy"),
    "bundles.submit": ("提交申请", "Submit"),
    "bundles.receipt": ("受理编号", "Receipt"),
    "bundles.receipt_hint": ("请保存本页地址，凭此查询办理进度、领取结果并评价。",
                             "Keep this page's address: it shows the progress and the result, and takes your rating."),
    "bundles.status": ("办理进度", "Progress"),
    "bundles.progress.assigning": ("派单中", "Being assigned"),
    "bundles.progress.waiting": ("待部门签收", "Waiting for the department"),
    "bundles.progress.handling": ("办理中", "Being handled"),
    "bundles.progress.done": ("已办结", "Done"),
    "bundles.state.in_progress": ("办理中", "In progress"),
    "bundles.state.completed": ("已办结", "Completed"),
    "bundles.result": ("办理结果", "Result"),
    "bundles.result.approved": ("全部准予", "All approved"),
    "bundles.result.partial": ("部分准予", "Partly approved"),
    "bundles.result.refused": ("不予办理", "Refused"),
    "bundles.outcome.approved": ("准予", "Approved"),
    "bundles.outcome.refused": ("不予", "Refused"),
    "bundles.combined": ("一件事办结，结果统一告知", "The combined result"),
    "bundles.rate": ("好差评", "Rate this service"),
    "bundles.rate_hint": ("1 星非常不满意，5 星非常满意。", "1 star: very poor; 5 stars: very good."),
    "bundles.stars": ("{n} 星", "{n} stars"),
    "bundles.comment": ("评价内容（选填）", "Comment (optional)"),
    "bundles.rated": ("您的评价", "Your rating"),
    "bundles.thanks": ("感谢评价", "Thank you"),
    "bundles.ratings": ("好差评与成效", "Ratings and savings"),
    "bundles.applications": ("申请", "Applications"),
    "bundles.completed": ("办结", "Completed"),
    "bundles.average_rating": ("平均评分", "Average rating"),
    "bundles.good_rate": ("好评率（4-5 星）", "Good (4-5 stars)"),
    "bundles.on_time_rate": ("按承诺时限办结率", "Completed on time"),
    "bundles.average_days": ("平均办理用时（工作日）", "Average working days"),
    "bundles.distribution": ("评分分布", "Ratings"),
    "bundles.designer": ("一件事设计", "Designer"),
    "bundles.new": ("新建一件事", "New bundle"),
    "bundles.edit": ("修改", "Edit"),
    "bundles.catalogue": ("事项清单", "Item catalogue"),
    "bundles.code": ("编码", "Code"),
    "bundles.name": ("名称", "Name"),
    "bundles.name_en": ("英文名称", "English name"),
    "bundles.audience": ("服务对象", "Audience"),
    "bundles.lifecycle": ("生命周期阶段", "Life-cycle stage"),
    "bundles.region": ("行政区划代码", "Region code"),
    "bundles.lead_kind": ("牵头部门类型", "Lead department kind"),
    "bundles.description": ("说明", "Description"),
    "bundles.steps_hint": ("每行一个环节", "One step per line"),
    "bundles.save": ("保存", "Save"),
    "bundles.publish": ("发布", "Publish"),
    "bundles.withdraw": ("下线", "Withdraw"),
    "bundles.def_state.draft": ("草稿", "Draft"),
    "bundles.def_state.published": ("已发布", "Published"),
    "bundles.def_state.withdrawn": ("已下线", "Withdrawn"),
    "bundles.merged_form": ("一表申请（合并后的申请表）", "The merged form"),
    "bundles.merged_materials": ("一套材料（去重后的材料清单）", "The merged materials"),
    "bundles.field": ("字段", "Field"),
    "bundles.element": ("数据元", "Data element"),
    "bundles.used_by": ("所需事项", "Needed by"),
    "bundles.prefill_source": ("预填来源", "Prefilled from"),
    "bundles.no_prefill": ("申请人填写", "Typed by the applicant"),
    "bundles.missing_departments": ("该地区缺少办理部门：{departments}", "Departments missing: {departments}"),
    "bundles.bpmn": ("流程：并行多实例（每个事项一个部门工单），全部办结后汇聚，统一出件后好差评。",
                     "Process: a parallel multi-instance task (one department case per item), a join when every "
                     "case is closed, the combined result, then the rating."),
    "bundles.work": ("待本部门办理", "Waiting on my department"),
    "bundles.applicant": ("申请人", "Applicant"),
    "bundles.submitted_at": ("申请时间", "Submitted"),
    "bundles.due_at": ("承诺办结", "Due"),
    "bundles.completed_at": ("办结时间", "Completed"),
    "bundles.case": ("部门工单", "Department case"),
    "bundles.decide": ("作出决定", "Decide"),
    "bundles.note": ("办理意见", "Note"),
    "bundles.reroute": ("改派", "Re-route"),
    "bundles.reroute_to": ("改派至部门（代码）", "Department code"),
    "bundles.form_values": ("申请信息", "Application"),
    "bundles.only_yours": ("仅显示本部门所办事项所需的信息和材料。",
                           "Only what your department's items need is shown."),
    "bundles.files": ("申请材料文件", "Files"),
    "bundles.none_yet": ("暂无", "None yet"),
    "bundles.all": ("全部", "All"),
    "bundles.channel.online": ("网上申请", "Online"),
    "bundles.channel.window": ("窗口受理", "At the window"),
    "bundles.external": ("外部合作（由牵头窗口推送并登记结果）", "External partner (relayed by the window)"),
})


def _json(request: Request) -> bool:
    return wants_json(request) or request.query_params.get("format") == "json"


def _savings(form: MergedForm) -> dict[str, Any]:
    return {"before": form.before.as_dict(), "after": form.after.as_dict(), "saved": form.saved}


def _helpers(lang: str) -> dict[str, Any]:
    def item(code: str) -> catalogue.Item:
        return catalogue.item(code)

    def iname(code: str) -> str:
        it = catalogue.items().get(code)
        return code if it is None else (it.name_en if lang == "en" else it.name)

    def subject_name(code: str | None) -> str:
        sub = catalogue.subject(code)
        return "" if sub is None else (sub.name_en if lang == "en" else sub.name)

    def stage(audience: str, code: str) -> str:
        return catalogue.lifecycle_label(audience, code, lang)

    kinds = {k.kind: (k.name_en if lang == "en" else k.name) for k in department_kinds()}

    def kind_name(kind: str) -> str:
        return kinds.get(kind, kind)

    def element_name(element: str | None) -> str:
        el = registry.elements().get(element or "")
        return "" if el is None else (el.name_en if lang == "en" else el.name)

    return {"item": item, "iname": iname, "subject_name": subject_name, "stage": stage, "cat": catalogue.catalogue(),
            "mask_id": service.mask_id, "display_value": service.display_value, "kind_name": kind_name,
            "element_name": element_name}


def _stage_order() -> dict[str, int]:
    """Life-cycle stages in life order (birth ... after death; opening ... deregistration)."""
    out: dict[str, int] = {}
    for audience, stages in catalogue.catalogue().lifecycles.items():
        for stage in stages:
            out[f"{audience}.{stage}"] = len(out)
    return out


def _page(request: Request, name: str, context: dict[str, Any], *, actor: Actor | None, session: Session,
          lang: str, status_code: int = 200) -> HTMLResponse:
    return render(request, name, {**_helpers(lang), **context}, actor=actor, session=session, lang=lang,
                  status_code=status_code)


# ---------------------------------------------------------------- the citizen portal


@router.get("/bundles")
def bundle_index(request: Request, session: DB, actor: OptionalActor, lang: Lang) -> Response:
    defs = service.list_definitions(session, published_only=True)
    forms = {d.code: service.merged(session, d) for d in defs}
    if _json(request):
        return JSONResponse({"bundles": [{"code": d.code, "name": d.name, "name_en": d.name_en,
                                          "audience": d.audience, "lifecycle": d.lifecycle,
                                          "items": list(d.items), **_savings(forms[d.code])} for d in defs]})
    groups: dict[str, dict[str, list[BundleDefinition]]] = {}
    order = _stage_order()
    for d in sorted(defs, key=lambda x: (order.get(f"{x.audience}.{x.lifecycle}", 99), x.id)):
        groups.setdefault(d.audience, {}).setdefault(d.lifecycle, []).append(d)
    return _page(request, "bundles_index.html", {"groups": groups, "forms": forms}, actor=actor, session=session,
                 lang=lang)


@router.get("/bundles/ratings")
def ratings(request: Request, session: DB, actor: OptionalActor, lang: Lang) -> Response:
    rows = stats.per_bundle(session)
    if _json(request):
        return JSONResponse({"bundles": [r.as_dict() for r in rows]})
    return _page(request, "bundles_ratings.html", {"rows": rows}, actor=actor, session=session, lang=lang)


@router.get("/bundles/status/{token}")
def status(token: Token, request: Request, session: DB, actor: OptionalActor, lang: Lang) -> Response:
    app = service.by_token(session, token)
    view = service.public_view(session, app)
    if _json(request):
        return JSONResponse({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in view.items()
                             if k != "bundle"} | {"bundle": app.bundle_code,
                                                  "items": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                                             for k, v in i.items()} for i in view["items"]]})
    return _page(request, "bundles_status.html", {"view": view, "app": app, "token": token,
                                                  "new": request.query_params.get("new") == "1"},
                 actor=actor, session=session, lang=lang)


@router.post("/bundles/status/{token}/rating")
async def rate(token: Token, request: Request, session: DB, lang: Lang) -> Response:
    await check_csrf(request)
    form = await request.form()
    try:
        stars = int(str(form.get("rating", "0")))
    except ValueError:
        stars = 0
    try:
        service.rate(session, token, stars, comment=str(form.get("comment", ""))[:1000])
        flash(request, translate("bundles.thanks", lang), "success")
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/bundles/status/{token}")


# ---------------------------------------------------------------- the designer (staff)


@router.get("/bundles/design")
def designer(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    require(actor, "bundles.view")
    defs = service.list_definitions(session)
    by_stage: dict[str, list[catalogue.Item]] = {}
    order = _stage_order()
    for it in sorted(catalogue.items().values(), key=lambda i: order.get(i.lifecycle, 99)):
        by_stage.setdefault(it.lifecycle, []).append(it)
    return _page(request, "bundles_design.html", {"defs": defs, "by_stage": by_stage}, actor=actor,
                 session=session, lang=lang)


def _editor(request: Request, session: Session, actor: Actor, lang: str, d: BundleDefinition | None,
            values: dict[str, Any], error: str = "", status_code: int = 200) -> HTMLResponse:
    kinds = [(k.kind, k.name_en if lang == "en" else k.name) for k in department_kinds()]
    return _page(request, "bundles_editor.html", {"d": d, "v": values, "error": error, "kinds": kinds},
                 actor=actor, session=session, lang=lang, status_code=status_code)


def _values_of(d: BundleDefinition) -> dict[str, Any]:
    return {"code": d.code, "name": d.name, "name_en": d.name_en, "lifecycle": f"{d.audience}.{d.lifecycle}",
            "region_code": d.region_code, "lead_kind": d.lead_kind, "description": d.description,
            "items": list(d.items), "steps": "\n".join(d.steps), "trips": d.trips, "time_limit": d.time_limit}


@router.get("/bundles/design/new")
def new_bundle(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    require(actor, "bundles.view")
    region = actor.region_code if actor.region_code and not actor.region_code.endswith("0000") else "330106"
    return _editor(request, session, actor, lang, None, {"region_code": region, "steps": "一表申请\n并联办理\n统一出件",
                                                         "trips": 1, "time_limit": 5, "items": []})


@router.get("/bundles/design/{code}/edit")
def edit_bundle(code: Code, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    require(actor, "bundles.view")
    d = service.get_definition(session, code)
    return _editor(request, session, actor, lang, d, _values_of(d))


@router.post("/bundles/design")
async def save_bundle(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    data = await request.form()
    form = {k: str(v)[:4000] for k, v in data.items() if isinstance(v, str)}
    items = [str(v) for v in data.getlist("items") if isinstance(v, str)]
    audience, _, stage = form.get("lifecycle", "").partition(".")
    values = {**form, "items": items}
    try:
        trips, time_limit = int(form.get("trips", "")), int(form.get("time_limit", ""))
    except ValueError:
        trips, time_limit = -1, 0
    try:
        d = service.save_definition(session, actor, code=form.get("code", ""), name=form.get("name", ""),
                                    name_en=form.get("name_en", ""), audience=audience, lifecycle=stage,
                                    region_code=form.get("region_code", "").strip(),
                                    lead_kind=form.get("lead_kind", ""), description=form.get("description", ""),
                                    items=items, steps=form.get("steps", "").splitlines(), trips=trips,
                                    time_limit=time_limit)
    except PermissionDenied:
        raise
    except DigigovError as exc:
        session.rollback()
        existing = None
        with contextlib.suppress(DigigovError):
            existing = service.get_definition(session, form.get("code", ""))
        return _editor(request, session, actor, lang, existing, values, error_text(exc, lang), 422)
    return redirect(f"/bundles/design/{d.code}")


@router.get("/bundles/design/{code}")
def preview(code: Code, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    require(actor, "bundles.view")
    d = service.get_definition(session, code)
    form = service.merged(session, d)
    missing = service.missing_departments(session, d)
    if _json(request):
        return JSONResponse(_form_json(d, form, missing))
    return _page(request, "bundles_preview.html", {"d": d, "form": form, "missing": missing,
                                                   "may_design": can(actor, "bundles.design", d)},
                 actor=actor, session=session, lang=lang)


def _form_json(d: BundleDefinition, form: MergedForm, missing: list[str]) -> dict[str, Any]:
    return {
        "code": d.code, "name": d.name, "status": d.status, "region_code": d.region_code, "items": list(d.items),
        "missing_departments": missing,
        "departments": {c: h.department_code for c, h in form.handlers.items()},
        "fields": [{"key": f.key, "label": f.label, "subject": f.subject, "element": f.element, "items": f.items,
                    "required": f.required, "identity": f.identity,
                    "prefill": [{"dataset": p.dataset, "column": p.column, "department": p.department_name,
                                 "basis": p.basis, "grant": p.grant_id} for p in f.prefill] if f.prefillable else []}
                   for f in form.fields],
        "materials": [{"key": m.key, "name": m.name, "original": m.original, "items": m.items,
                       "exemption": m.exemption, "submit": m.submit, "missing_access": m.missing_access}
                      for m in form.materials],
        **_savings(form),
    }


@router.post("/bundles/design/{code}/{action}")
async def design_action(code: Code, action: Annotated[str, Path(pattern="^(publish|withdraw)$")], request: Request,
                        session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    try:
        (service.publish if action == "publish" else service.withdraw)(session, actor, code)
        flash(request, "✓", "success")
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/bundles/design/{code}")


# ---------------------------------------------------------------- applications (staff)


@router.get("/bundles/applications")
def application_list(request: Request, session: DB, actor: CurrentActor, lang: Lang,
                     bundle: Annotated[str, Query(max_length=40)] = "",
                     state: Annotated[str, Query(max_length=12)] = "",
                     offset: Annotated[int, Query(ge=0, le=10**6)] = 0) -> Response:
    rows, total = service.list_applications(session, actor, bundle=bundle or None, status=state or None,
                                            offset=offset)
    work = service.work(session, actor) if can(actor, "case.inbox") else []
    return _page(request, "bundles_applications.html", {"rows": rows, "total": total, "work": work,
                                                        "bundle": bundle, "state": state, "offset": offset,
                                                        "defs": service.list_definitions(session)},
                 actor=actor, session=session, lang=lang)


@router.get("/bundles/applications/{app_id}")
def application_detail(app_id: Id, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    app = service.get_application(session, actor, app_id)
    visible = service.visible_items(actor, app)
    view = service.public_view(session, app)
    return _page(request, "bundles_application.html", {
        "app": app, "view": view, "visible": visible, "fields": _visible_fields(app, visible),
        "files": [m for m in app.materials if m.material_key in _visible_materials(visible)],
        "mine": [r for r in app.runs if r.department_id == actor.department_id and r.status != "done"],
        "returned": [r for r in app.runs if r.status == "returned"] if can(actor, "bundles.window", app) else [],
    }, actor=actor, session=session, lang=lang)


def _visible_fields(app: BundleApplication, visible: list[str]) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """(label, value, key, prefill source) of the application's values the visible items need, in form order."""
    out = []
    seen = set()
    for code in visible:
        it = catalogue.item(code)
        for f in it.fields:
            key = f.key or f"{it.code}:{f.id}"
            if key in seen or key not in app.form:
                continue
            seen.add(key)
            label = f.label if not f.subject else f"{catalogue.subject(f.subject).name}·{f.label}"  # type: ignore[union-attr]
            out.append((label, str(app.form[key]), key, app.prefilled.get(key)))
    return out


def _visible_materials(visible: list[str]) -> set[str]:
    return {u.key for code in visible for u in catalogue.item(code).materials}


@router.get("/bundles/applications/{app_id}/materials/{material_id}")
def material_download(app_id: Id, material_id: Id, session: DB, actor: CurrentActor) -> Response:
    m = service.material(session, actor, app_id, material_id)
    return Response(m.content, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(m.filename, safe='')}",
        "X-Content-SHA256": m.sha256})


@router.post("/bundles/applications/{app_id}/items/{run_id}/{action}")
async def item_action(app_id: Id, run_id: Id, action: Annotated[str, Path(pattern="^(decide|reroute)$")],
                      request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    form = await request.form()
    try:
        if action == "decide":
            service.decide_item(session, actor, run_id, outcome=str(form.get("outcome", "")),
                                note=str(form.get("note", ""))[:2000], certificate=str(form.get("certificate", "")))
        else:
            service.reroute_item(session, actor, run_id, str(form.get("department", "")).strip()[:60])
        flash(request, "✓", "success")
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/bundles/applications/{app_id}")


# ---------------------------------------------------------------- a bundle, and applying for it


def _applicant_actor(actor: Actor | None) -> tuple[Actor, str]:
    """Staff apply at the window for a citizen; anyone else is the citizen applying online."""
    if actor is not None and can(actor, "bundles.view"):
        return actor, "window"
    return cases.citizen("bundles"), "online"


@router.get("/bundles/{code}")
def bundle_detail(code: Code, request: Request, session: DB, actor: OptionalActor, lang: Lang) -> Response:
    d = service.published(session, code)
    form = service.merged(session, d)
    if _json(request):
        return JSONResponse(_form_json(d, form, []))
    return _page(request, "bundles_detail.html", {"d": d, "form": form, "subjects": form.subjects(), "values": {}},
                 actor=actor, session=session, lang=lang)


def _subjects(data: Any) -> dict[str, str]:
    return {key[3:]: str(v).strip()[:18] for key, v in data.items() if key.startswith("id_") and isinstance(v, str)}


@router.post("/bundles/{code}/form")
async def application_form(code: Code, request: Request, session: DB, actor: OptionalActor,
                           lang: Lang) -> Response:
    await check_csrf(request)
    data = await request.form()
    who, _ = _applicant_actor(actor)
    name = str(data.get("applicant_name", ""))[:80]
    subjects = _subjects(data)
    try:
        identified = service.identify(session, who, code, applicant_name=name, subjects=subjects)
    except DigigovError as exc:
        session.rollback()
        d = service.published(session, code)
        form = service.merged(session, d)
        return _page(request, "bundles_detail.html", {"d": d, "form": form, "subjects": form.subjects(),
                                                      "error": error_text(exc, lang),
                                                      "values": {"applicant_name": name, **subjects}},
                     actor=actor, session=session, lang=lang, status_code=422)
    return _apply_page(request, session, actor, lang, identified, name, {})


def _apply_page(request: Request, session: Session, actor: Actor | None, lang: str,
                identified: service.Identified, name: str, posted: dict[str, str], error: str = "",
                status_code: int = 200) -> HTMLResponse:
    form = identified.form
    groups: list[tuple[str, list[Any]]] = []
    for sub in catalogue.catalogue().subjects:
        fields = [f for f in form.fields if f.subject == sub and not f.identity]
        if fields:
            groups.append((sub, fields))
    own_groups = [(it, [f for f in form.fields if not f.subject and f.items == [it.code]]) for it in form.items]
    return _page(request, "bundles_apply.html", {
        "d": identified.definition, "form": form, "identified": identified, "name": name, "posted": posted,
        "groups": groups, "own_groups": [(it, fs) for it, fs in own_groups if fs], "error": error,
        # the applicant's own values in clear, also where they are the father or the mother
        "clear_subjects": {s for s, n in identified.subjects.items() if n == identified.subjects.get("applicant")},
    }, actor=actor, session=session, lang=lang, status_code=status_code)


@router.post("/bundles/{code}/apply")
async def application_submit(code: Code, request: Request, session: DB, actor: OptionalActor,
                             lang: Lang) -> Response:
    await check_csrf(request)
    data = await request.form()
    who, channel = _applicant_actor(actor)
    name = str(data.get("applicant_name", ""))[:80]
    subjects = _subjects(data)
    posted = {k[2:]: str(v)[:2000] for k, v in data.items() if k.startswith("f:") and isinstance(v, str)}
    uploads = []
    for key, value in data.multi_items():
        if key.startswith("m:") and isinstance(value, UploadFile) and value.filename:
            content = await value.read(service.MAX_MATERIAL_BYTES + 1)
            uploads.append(service.Upload(key[2:], value.filename, content,
                                          value.content_type or "application/octet-stream"))
    try:
        app = service.apply(session, who, code, applicant_name=name, subjects=subjects, values=posted,
                            uploads=uploads, channel=channel)
    except DigigovError as exc:
        session.rollback()
        message = error_text(exc, lang)
        try:
            identified = service.identify(session, who, code, applicant_name=name, subjects=subjects)
        except DigigovError:
            return redirect(f"/bundles/{code}")
        return _apply_page(request, session, actor, lang, identified, name, posted, message, 422)
    return redirect(f"/bundles/status/{app.token}?new=1")
