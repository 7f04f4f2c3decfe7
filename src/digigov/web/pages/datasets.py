"""Dataset pages (数据集): the list, handing in a file (归集) with an upload progress bar, the mapping
confirmation and load report of a load, and a dataset's page (fields, grades, lineage, loads, a masked preview).
The JSON twins are under /api/v1/datasets and /api/v1/loads.

Routes parse, call the ingest and warehouse services and render. An upload streams to the warehouse's
temporary directory (`digigov.platform.ingest.api.receive_upload`); the page's script sends it with XHR and
asks for JSON, so it can show the bytes going up and then the server's parsing; without script the same form
posts normally and is redirected.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from digigov.core.errors import Conflict, DigigovError, InvalidInput
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, translate
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import can, require
from digigov.platform.ingest import service as ingest
from digigov.platform.ingest.api import Upload, receive_upload, size_text, stage_upload
from digigov.platform.quality import service as quality
from digigov.platform.standards import registry
from digigov.platform.warehouse import governance
from digigov.platform.warehouse import service as warehouse
from digigov.platform.warehouse.model import Dataset, Load
from digigov.web.pages.common import flash, own_department, redirect, render, wants_json
from digigov.web.pages.standards import gov_helpers

router = APIRouter(include_in_schema=False)

MAX_ID = 2_147_483_647
DatasetCode = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]{0,59}$")]
LoadId = Annotated[int, Path(ge=1, le=MAX_ID)]
# whoever may load into any department's datasets (a platform admin) picks the owner of a new one
ANY_DEPARTMENT = SimpleNamespace(department_id=None, region_code="")
PROVINCE = "330000"
PREVIEW_ROWS = 10


def _refused(exc: DigigovError) -> bool:
    return exc.http_status in (401, 403)


# ---------------------------------------------------------------- the list


@router.get("/datasets")
def datasets_page(
    request: Request, actor: CurrentActor, session: DB, lang: Lang,
    mine: Annotated[bool, Query()] = False,
) -> Response:
    department = actor.department_id if mine else None
    rows = warehouse.list_datasets(session, actor, department=department)
    return render(
        request, "datasets.html",
        {"datasets": rows, "mine": mine, "may_ingest": can(actor, "dataset.ingest", own_department(actor)),
         **gov_helpers(lang)},
        actor=actor, session=session, lang=lang,
    )


# ---------------------------------------------------------------- handing in a file


def _ingestable(session: Session, actor: Actor) -> list[Dataset]:
    """The datasets the actor may load files into: its department's, or every one for an admin."""
    if can(actor, "dataset.ingest", ANY_DEPARTMENT):
        return warehouse.list_datasets(session, actor)
    return [ds for ds in warehouse.list_datasets(session, actor, department=actor.department_id)
            if can(actor, "dataset.ingest", ds)]


def _blank_form(actor: Actor, dataset: str = "") -> dict[str, str]:
    return {"mode": "existing" if dataset else "", "dataset": dataset, "code": "", "name": "", "name_en": "",
            "update_frequency": "每日", "department": str(actor.department_id or ""), "region_code": actor.region_code,
            "key_columns": ""}


def _upload_page(request: Request, actor: Actor, session: Session, lang: str, *, form: dict[str, str],
                 error: str = "", status_code: int = 200) -> Response:
    pick_any = can(actor, "dataset.ingest", ANY_DEPARTMENT)
    existing = _ingestable(session, actor)
    if not form.get("mode"):
        form = {**form, "mode": "existing" if existing else "new"}
    departments: list[Any] = []
    if pick_any:
        region = form.get("region_code") or PROVINCE
        departments = [d for d in identity.list_departments(session, region_code=region, limit=200)[0] if d.active]
    return render(
        request, "datasets_upload.html",
        {"form": form, "existing": existing, "pick_any": pick_any, "departments": departments,
         "regions": identity.list_regions(session) if pick_any else [], "frequencies": ingest.FREQUENCIES,
         "max_size": size_text(request.app.state.settings.max_upload_bytes), "error": error, **gov_helpers(lang)},
        actor=actor, session=session, lang=lang, status_code=status_code,
    )


@router.get("/datasets/upload")
def upload_form(
    request: Request, actor: CurrentActor, session: DB, lang: Lang,
    dataset: Annotated[str, Query(max_length=60, pattern=r"^([a-z][a-z0-9_]{0,59})?$")] = "",
) -> Response:
    require(actor, "dataset.ingest", own_department(actor))
    return _upload_page(request, actor, session, lang, form=_blank_form(actor, dataset))


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").replace("\n", ",").split(",") if part.strip()]


def _stage_from_form(session: Session, actor: Actor, upload: Upload) -> Load:
    """Create the dataset if the form asks for a new one, then stage the file; all or nothing."""
    fields = upload.fields
    with session.begin_nested():
        if fields.get("mode") == "new":
            code = fields.get("code", "").strip()
            if code and session.scalar(select(Dataset.id).where(Dataset.code == code)) is not None:
                raise Conflict(f"dataset {code} exists", key="dataset_exists", dataset=code)
            if can(actor, "dataset.ingest", ANY_DEPARTMENT):
                dept_text = fields.get("department", "").strip()
                department: str | int = int(dept_text) if dept_text.isdigit() else dept_text
            else:
                department = actor.department_id or 0
            frequency = fields.get("update_frequency", "不定期")
            ds = ingest.ensure_dataset(session, actor, ingest.DatasetSpec(
                code=code, name=fields.get("name", "").strip(), department=department,
                name_en=fields.get("name_en", "").strip(), update_frequency=frequency,
                key_columns=_split(fields.get("key_columns", ""))))
            code = ds.code
        else:
            code = fields.get("dataset", "").strip()
            if not code:
                raise InvalidInput("pick a dataset", key="upload_pick_dataset", field="dataset")
        return stage_upload(session, actor, code, upload)


@router.post("/datasets/upload")
async def upload_file(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    """Stage a file (and create its dataset when new). XHR callers (Accept: application/json) get
    {"location": "/loads/<id>"} or {"error", "message"} in the page language; a plain form post is redirected."""
    await run_in_threadpool(require, actor, "dataset.ingest", own_department(actor))
    as_json = wants_json(request)
    upload: Upload | None = None
    try:
        upload = await receive_upload(request, max_bytes=request.app.state.settings.max_upload_bytes)
        load = await run_in_threadpool(_stage_from_form, session, actor, upload)
    except DigigovError as exc:
        if _refused(exc):
            raise
        message, status = error_text(exc, lang), exc.http_status
        if as_json:
            return JSONResponse({"error": exc.code, "message": message}, status_code=status)
        form = {**_blank_form(actor), **{k: v for k, v in (upload.fields if upload else {}).items()
                                         if k in _blank_form(actor)}}
        return await run_in_threadpool(lambda: _upload_page(request, actor, session, lang, form=form,
                                                            error=message, status_code=status))
    finally:
        if upload is not None:
            await run_in_threadpool(upload.discard)
    location = f"/loads/{load.id}"
    if as_json:
        return JSONResponse({"location": location, "load": load.id}, status_code=201)
    return redirect(location)


# ---------------------------------------------------------------- a load: mapping, then report


def _samples(entry: dict[str, Any]) -> list[str]:
    """Up to 3 sample values of a column, masked: the evidence of the scan's type hits."""
    out: list[str] = []
    for hit in entry.get("detected") or []:
        for value in hit.get("evidence") or []:
            if value not in out:
                out.append(value)
    return out[:3]


def _rule_names(session: Session, actor: Actor, ds: Dataset) -> dict[str, tuple[str, str]]:
    return {e["rule"].id: (e["rule"].name, e["rule"].name_en) for e in quality.list_rules(session, actor, ds.code)}


@router.get("/loads/{load_id}")
def load_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, load_id: LoadId) -> Response:
    load = ingest.get_load(session, load_id)
    ds = warehouse.get(session, actor, load.dataset.code)
    columns = [
        {"index": i, "column": c, "header": h, "entry": load.suggestions.get(c) or {},
         "samples": _samples(load.suggestions.get(c) or {}), "element": (load.mapping or {}).get(c)}
        for i, (c, h) in enumerate(zip(load.columns, load.headers, strict=True))
    ]
    report = load.report or {}
    quality_report = report.get("quality") or {}
    return render(
        request, "load.html",
        {"load": load, "ds": ds, "columns": columns, "elements": list(registry.elements().values()),
         "may_ingest": can(actor, "dataset.ingest", ds), "report": report, "quality": quality_report,
         "rule_names": _rule_names(session, actor, ds) if quality_report else {},
         "fields": ds.fields if load.state in ("committed", "unchanged") else [],
         "is_current": load.version is not None and load.version == ds.current_version,
         **gov_helpers(lang)},
        actor=actor, session=session, lang=lang,
    )


def _commit(session: Session, actor: Actor, load_id: int, chosen: dict[str, str]) -> Load:
    load = ingest.get_load(session, load_id)
    mapping: dict[str, str | None] = {}
    for i, column in enumerate(load.columns):
        if f"map_{i}" in chosen:
            mapping[column] = chosen[f"map_{i}"].strip() or None
    with session.begin_nested():
        return ingest.commit(session, actor, load_id, mapping)


@router.post("/loads/{load_id}/commit")
async def commit_load(request: Request, actor: CurrentActor, session: DB, lang: Lang, load_id: LoadId) -> Response:
    form = await request.form()
    chosen = {k: str(v)[:64] for k, v in form.items() if k.startswith("map_") and isinstance(v, str)}
    try:
        load = await run_in_threadpool(_commit, session, actor, load_id, chosen)
    except DigigovError as exc:
        if _refused(exc) or exc.http_status == 404:
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/loads/{load_id}")
    key = "load.unchanged_msg" if load.state == "unchanged" else "load.committed_msg"
    flash(request, translate(key, lang, version=load.version or 0), "success")
    return redirect(f"/loads/{load_id}")


@router.post("/loads/{load_id}/discard")
def discard_load(request: Request, actor: CurrentActor, session: DB, lang: Lang, load_id: LoadId) -> Response:
    try:
        with session.begin_nested():
            load = ingest.discard(session, actor, load_id)
    except DigigovError as exc:
        if _refused(exc) or exc.http_status == 404:
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/loads/{load_id}")
    flash(request, translate("load.discarded_msg", lang), "info")
    return redirect(f"/datasets/{load.dataset.code}")


# ---------------------------------------------------------------- a dataset


@router.get("/datasets/{code}")
def dataset_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, code: DatasetCode) -> Response:
    info = warehouse.describe(session, actor, code)
    ds = warehouse.get(session, actor, code)
    graph = warehouse.lineage(session, actor, code)
    names = {n["code"]: n for n in graph["nodes"]}
    issues = quality.list_issues(session, actor, dataset=code, state="open", limit=50)
    return render(
        request, "dataset.html",
        {"info": info, "ds": ds, "loads": warehouse.loads(session, ds, limit=20), "graph": graph, "names": names,
         "may_classify": can(actor, "dataset.classify", ds), "may_rows": warehouse.may_read_rows(actor, ds),
         "may_ingest": can(actor, "dataset.ingest", ds), "open_issues": len(issues),
         "current": governance.current_load(session, ds), **gov_helpers(lang)},
        actor=actor, session=session, lang=lang,
    )


@router.get("/datasets/{code}/preview")
def dataset_preview(request: Request, actor: CurrentActor, session: DB, lang: Lang, code: DatasetCode) -> Response:
    """A masked preview of the first rows (htmx), for the owner department's staff; the service audits it."""
    rows = warehouse.read_rows(session, actor, code, limit=PREVIEW_ROWS, purpose="控制台预览 (console preview)")
    return render(request, "partials/dataset_preview.html", {"rows": rows, "code": code}, lang=lang)


@router.post("/datasets/{code}/grade")
def override_grade(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, code: DatasetCode,
    column: Annotated[str, Form(min_length=1, max_length=256)],
    grade: Annotated[str, Form(max_length=4, pattern=r"^(L[1-4])?$")] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ds = warehouse.get(session, actor, code)
    try:
        with session.begin_nested():
            governance.override_grade(session, actor, ds, column, grade or None, reason.strip())
    except DigigovError as exc:
        if _refused(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/datasets/{code}#fields")
    key = "ds.override_saved" if grade else "ds.override_cleared"
    flash(request, translate(key, lang, column=column, grade=grade), "success")
    return redirect(f"/datasets/{code}#fields")
