"""The public open-data portal (公共数据开放): `/open` (search and filters), `/open/datasets/{code}` (metadata,
open fields, a preview, downloads, API hints) and the downloads `/open/datasets/{code}.csv|json|parquet`.

No login: every route reads through `digigov.platform.opendata.service`, which serves grade-1 datasets and
their grade-1 fields only. A logged-in steward of the owner department also sees the dataset's download
statistics. Each route takes a token from the caller address's rate-limit bucket first.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import register
from digigov.identity.actor import Actor
from digigov.identity.http import optional_actor
from digigov.identity.permissions import can
from digigov.platform.catalog.labels import SYSTEM_LABELS
from digigov.platform.opendata import service, serving
from digigov.platform.opendata.api import rate_limit, site_url
from digigov.web.i18n_opendata import OPENDATA_MESSAGES
from digigov.web.pages.common import pagination, render
from digigov.web.pages.standards import gov_helpers

register(OPENDATA_MESSAGES)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 10
FACETS = ("organization", "groups", "tags", "update_frequency")
DatasetCode = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]{0,59}$")]
Text = Annotated[str, Query(max_length=100)]
_PLAIN = re.compile(r'[:()\[\]{}"]')  # the portal's box takes words; field syntax is the CKAN API's


async def portal_actor(request: Request, session: DB) -> Actor | None:
    """The logged-in user, if any; a bad token or a stale session is simply an anonymous visitor here."""
    try:
        return await optional_actor(request, session)
    except DigigovError:
        return None


PortalActor = Annotated[Actor | None, Depends(portal_actor)]


def _throttled(request: Request, lang: str) -> Response | None:
    wait = rate_limit(request)
    if not wait:
        return None
    response = render(request, "error.html", {"status": 429, "message": f"retry in {wait} s",
                                              "code": "too_many_requests"}, status_code=429, lang=lang)
    response.headers["Retry-After"] = str(wait)
    return response


@router.get("/open")
def portal(
    request: Request, session: DB, lang: Lang, actor: PortalActor,
    q: Text = "", organization: Text = "", tag: Text = "", frequency: Text = "", group: Text = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    refused = _throttled(request, lang)
    if refused is not None:
        return refused
    crit = service.criteria(_PLAIN.sub(" ", q), organization=[organization], tags=[tag],
                            update_frequency=[frequency], groups=[group])
    result = service.search(session, crit, rows=PAGE_SIZE, start=offset, facet_fields=FACETS)
    views = service.open_datasets(session)
    owners = {service.organization_name(v.owner): v.owner for v in views}
    counts = service.download_counts(session, [v.code for v in result.items])
    mine = [v for v in views if actor is not None and can(actor, "catalog.manage", v.dataset)]
    facets = {name: sorted(result.facets.get(name, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:12]
              for name in FACETS}
    return render(request, "open_list.html", {
        "q": q, "filters": {"organization": organization, "tag": tag, "frequency": frequency, "group": group},
        "result": result, "facets": facets, "owners": owners, "counts": counts, "mine": mine,
        "systems": SYSTEM_LABELS, "page": pagination(result.total, PAGE_SIZE, offset),
        "org_name": service.organization_name, **gov_helpers(lang),
    }, actor=actor, session=session, lang=lang)


@router.get("/open/datasets/{code}.{fmt}")
async def download(request: Request, code: DatasetCode, fmt: Annotated[str, Path(max_length=10)],
                   session: DB, lang: Lang) -> Response:
    """The whole dataset's open fields as CSV (UTF-8 with BOM), JSON or Parquet, streamed."""
    refused = _throttled(request, lang)
    if refused is not None:
        return refused

    def prepare() -> serving.Export:
        return service.prepare_export(session, service.get_open(session, code), fmt)

    export = await run_in_threadpool(prepare)
    name = f"{export.code}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return StreamingResponse(serving.csv_chunks(export), media_type="text/csv; charset=utf-8",
                                 headers=disposition)
    if fmt == "json":
        return StreamingResponse(serving.json_chunks(export), media_type="application/json", headers=disposition)
    handle, raw = tempfile.mkstemp(prefix=f"open-{export.code}-", suffix=".parquet")
    os.close(handle)
    path = FilePath(raw)
    try:
        await run_in_threadpool(serving.write_parquet, export, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=service.MEDIA_TYPES["parquet"], filename=name,
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/open/datasets/{code}")
def dataset_page(request: Request, code: DatasetCode, session: DB, lang: Lang, actor: PortalActor) -> Response:
    refused = _throttled(request, lang)
    if refused is not None:
        return refused
    view = service.get_open(session, code)
    types = serving.column_types(view)
    page = serving.preview(view)
    report = None
    if actor is not None and can(actor, "catalog.manage", view.dataset):
        report = service.download_report(session, actor, view.code)
    site = site_url(request)
    context: dict[str, Any] = {
        "view": view, "types": types, "preview": page, "report": report, "site": site,
        "downloads": service.download_counts(session, [view.code]).get(view.code, 0),
        "formats": service.FORMATS, "format_labels": service.FORMAT_LABELS, "systems": SYSTEM_LABELS,
        "org_name": service.organization_name(view.owner), "preview_rows": serving.PREVIEW_ROWS,
        "datastore_id": view.resource_id("csv"), **gov_helpers(lang),
    }
    return render(request, "open_dataset.html", context, actor=actor, session=session, lang=lang)
