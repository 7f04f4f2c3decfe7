"""The Open311 GeoReport v2 API of 民呼我为 (wiki.open311.org/GeoReport_v2), so that any Open311
client (a district app, a grid-management system, a third-party reporting app) can list our request
types, file tickets and follow them.

- Every resource answers in XML (the spec's required format) or JSON by its suffix: `/services.xml`,
  `/requests/MH20261128000001.json`. Another suffix is a resource we do not have: 404.
- `jurisdiction_id` is optional: this endpoint serves one jurisdiction (杭州, `hangzhou.gov.cn`, or
  the app setting `open311_jurisdiction` when there is one). A different value answers 404
  "jurisdiction_id provided was not found", as the spec lists.
- POST needs an `api_key` (`digigov open311 keys create NAME`); GET needs none, so it returns only
  public fields: never the citizen's name, phone, email or account, and phone numbers, ID numbers and
  e-mail addresses inside the description and the reply are masked.
- Our lifecycle is richer than open/closed: `status` is `closed` only when the ticket is closed (办结),
  and `status_notes` says the fine-grained state in Chinese and English with the handling department
  and its reply; `extensions=true` adds `status_description` (the state's code).
- Errors are a list of {code, description} with HTTP 400 (bad input), 403 (api_key) or 404 (unknown
  service, request, token or jurisdiction), never the platform's own error shape.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from digigov.apps.digital_society.people_call_we_act import open311_keys, taxonomy
from digigov.apps.digital_society.people_call_we_act.case_type import TYPE_CODE
from digigov.audit.service import record
from digigov.core.clock import utcnow
from digigov.core.errors import DigigovError, NotFound, PermissionDenied
from digigov.core.http import DB
from digigov.core.i18n import error_text
from digigov.identity.actor import Actor
from digigov.platform.cases.model import Case
from digigov.platform.cases.sla import LOCAL
from digigov.platform.standards.masking import mask

router = APIRouter(prefix="/open311/v2", tags=["open311"])

JURISDICTION_ID = "hangzhou.gov.cn"
MAX_DAYS = 90
MAX_RESULTS = 1000
MAX_IDS = 200
MAX_BODY = 64 * 1024
FORMATS = ("xml", "json")
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad request (Open311 error list)"}, 403: {"description": "Missing or invalid api_key"},
    404: {"description": "Unknown service, request, token, format or jurisdiction"}}
# XML element of one item of each list (the spec's Spark convention)
ITEM = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
        "values": "value", "endpoints": "endpoint", "formats": "format"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T00:00:00Z"  # when this endpoint's offer (services, extensions) last changed


class Open311Error(Exception):
    """An error the client reads; `keep` keeps what the request wrote (the record of a refusal)."""

    def __init__(self, status: int, description: str, *, keep: bool = False) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.keep = keep


# ---------------------------------------------------------------- service definitions


@dataclass(frozen=True)
class Attribute:
    code: str
    name: str  # shown as the attribute's description, with `hint`
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    required: bool = False
    hint: str = ""
    values: tuple[tuple[str, str], ...] = ()


_YES_NO = (("yes", "是 / yes"), ("no", "否 / no"))
_WHEN = Attribute("time_of_day", "发生时段 / When it happens", "singlevaluelist", True,
                  "夜间（22:00–06:00）施工须有许可 / night work needs a permit",
                  (("day", "白天 06:00–22:00 / daytime"), ("night", "夜间 22:00–06:00 / night")))
_PLATE = Attribute("plate", "车牌号 / Number plate", "string", hint="如 浙A12345 / e.g. 浙A12345")
_MERCHANT = Attribute("merchant", "商家名称 / Business name", "string", hint="店招或营业执照上的名称 / as on the sign")
ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "noise_construction": (_WHEN,),
    "noise_social": (_WHEN,),
    "noise_industrial": (_WHEN,),
    "elevator": (
        Attribute("trapped", "是否有人被困 / Is anyone trapped", "singlevaluelist", True,
                  "有人被困请同时拨打 96333 / if so, also call 96333", _YES_NO),
        Attribute("lift_id", "电梯注册代码 / Lift registration code", "string",
                  hint="轿厢内张贴的 20 位代码 / the 20-digit code posted in the car"),
    ),
    "gas": (Attribute("smell_now", "现场是否仍有燃气味 / Can you smell gas now", "singlevaluelist", True,
                      "仍有气味请远离并拨打燃气抢修电话 / if so, leave and call the gas emergency line", _YES_NO),),
    "wage_arrears": (
        Attribute("workers", "涉及人数 / Workers affected", "number"),
        Attribute("amount", "欠薪金额（元） / Amount owed (yuan)", "number"),
    ),
    "illegal_parking": (_PLATE,),
    "taxi": (_PLATE,),
    "streetlight": (Attribute("asset_id", "设施编号 / Fixture number", "string",
                              hint="灯杆或井盖上的编号 / the number on the lamp post or manhole cover"),),
    "public_transport": (Attribute("line", "线路 / Line", "string", hint="如 B1、地铁1号线 / e.g. B1, Metro Line 1"),),
    "food_safety": (_MERCHANT,),
    "consumer_dispute": (_MERCHANT,),
    "price": (_MERCHANT,),
}


def service_row(c: taxonomy.Category) -> dict[str, Any]:
    tier = ("区县" if c.tier == "county" else "市级", "district" if c.tier == "county" else "city")
    kind, kind_en = taxonomy.KIND_NAMES[c.department_kind], c.department_kind.replace("_", " ")
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.name_en}。由{tier[0]}{kind}部门办理，{c.sla_workdays}个工作日内办结 / handled by the "
                       f"{tier[1]} {kind_en} department within {c.sla_workdays} working days",
        "metadata": c.code in ATTRIBUTES,
        "type": "realtime",
        "keywords": ", ".join(c.keywords),
        "group": kind,
    }


def definition(c: taxonomy.Category) -> dict[str, Any]:
    return {"service_code": c.code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": a.hint or None, "order": i, "description": a.name,
         **({"values": [{"key": k, "name": n} for k, n in a.values]} if a.values else {})}
        for i, a in enumerate(ATTRIBUTES.get(c.code, ()), start=1)
    ]}


def _service(code: str) -> taxonomy.Category:
    category = taxonomy.BY_CODE.get(code)
    if category is None:
        raise Open311Error(404, f"service_code {code[:64]} was not found / 没有此诉求类别")
    return category


def check_attributes(category: taxonomy.Category, given: dict[str, list[str]]) -> dict[str, Any]:
    """The submitted attribute[CODE] values, checked against the service definition (unknown codes ignored)."""
    out: dict[str, Any] = {}
    for a in ATTRIBUTES.get(category.code, ()):
        values = [v.strip() for v in given.get(a.code, []) if v.strip()]
        if not values:
            if a.required:
                raise Open311Error(400, f"attribute[{a.code}] is required / 请填写“{a.name.split(' / ')[0]}”")
            continue
        keys = {k for k, _ in a.values}
        if a.datatype in ("singlevaluelist", "multivaluelist") and any(v not in keys for v in values):
            raise Open311Error(400, f"attribute[{a.code}] must be one of {', '.join(sorted(keys))}")
        if a.datatype == "number":
            try:
                numbers = [float(v) for v in values]
            except ValueError:
                raise Open311Error(400, f"attribute[{a.code}] must be a number") from None
            if not all(math.isfinite(n) and abs(n) < 1e12 for n in numbers):
                raise Open311Error(400, f"attribute[{a.code}] is out of range")
        if any(len(v) > 200 for v in values):
            raise Open311Error(400, f"attribute[{a.code}] is longer than 200 characters")
        out[a.code] = values if a.datatype == "multivaluelist" else values[0]
    return out


def _attribute_line(category: taxonomy.Category, values: dict[str, Any]) -> str:
    names = {k: n.split(" / ")[0] for a in ATTRIBUTES.get(category.code, ()) for k, n in a.values}
    parts = []
    for a in ATTRIBUTES.get(category.code, ()):
        if a.code in values:
            vs = values[a.code] if isinstance(values[a.code], list) else [values[a.code]]
            parts.append(f"{a.name.split(' / ')[0]}：{'、'.join(names.get(v, v) for v in vs)}")
    return "【补充信息】" + "；".join(parts) if parts else ""


# ---------------------------------------------------------------- service requests (public view)

_STATES = {
    "intake": ("已受理，待12345热线分拨", "received, waiting to be dispatched"),
    "triaged": ("已分类，待派单", "classified, waiting to be assigned"),
    "assigned": ("已派单至{dept}，待签收", "assigned to {dept_en}, waiting to be accepted"),
    "in_progress": ("办理中（{dept}）", "in progress"),
    "responded": ("{dept}已答复，待核查", "answered, being verified"),
    "verified": ("已办理，待回访评价", "handled, waiting for the citizen's rating"),
    "returned": ("已退回，待重新派单", "returned, to be dispatched again"),
    "reopened": ("回访不满意，重新办理", "reopened after an unsatisfied rating"),
}
_CLOSED = {
    "done": ("已办结", "resolved"),
    "rejected": ("不予受理", "not accepted"),
    "merged": ("重复诉求，已并入 {merged}", "duplicate of {merged}"),
    "no_rating": ("已办结（未评价）", "resolved (not rated)"),
}
_PII = (
    (re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])"), "keep_first6_last4"),
    (re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"), "keep_first3_last4"),
    (re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"), "area_code_only"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "email"),
)


def public_text(text: str) -> str:
    """Text a citizen wrote, fit to publish: ID numbers, phone numbers and e-mail addresses masked."""
    for pattern, rule in _PII:
        text = pattern.sub(lambda m, r=rule: mask(r, m.group(0)) or "", text)  # type: ignore[misc]
    return text


def w3(moment: datetime | None) -> str | None:
    """A W3C datetime with the China offset, e.g. 2026-11-28T09:30:00+08:00."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).isoformat(timespec="seconds")


def status_fields(session: Session, case: Case) -> tuple[str, str, str]:
    """(status, status_notes, status_description) of a ticket."""
    dept = case.department.name if case.department else ""
    if case.status == "closed":
        merged = ""
        if case.merged_into_id:
            other = session.get(Case, case.merged_into_id)
            merged = other.number if other else ""
        zh, en = _CLOSED.get(case.resolution or "done", _CLOSED["done"])
        zh, en, state = zh.format(merged=merged), en.format(merged=merged), f"closed:{case.resolution or 'done'}"
        status = "closed"
    else:
        zh, en = _STATES.get(case.status, _STATES["intake"])
        zh, en = zh.format(dept=dept or "承办单位"), en.format(dept_en="the handling department")
        state, status = case.status, "open"
    notes = f"{zh} / {en}"
    if case.response and case.status in ("responded", "verified", "closed", "reopened"):
        notes += f"。答复 / reply: {public_text(case.response)}"
    return status, notes, state


def request_row(session: Session, case: Case, *, extensions: bool = False) -> dict[str, Any]:
    code = case.category or case.data.get("suggested")
    category = taxonomy.BY_CODE.get(code or "")
    status, notes, state = status_fields(session, case)
    agency = case.department or case.owner_department
    o311 = case.data.get("open311") or {}
    row: dict[str, Any] = {
        "service_request_id": case.number,
        "status": status,
        "status_notes": notes,
        "service_name": category.name if category else None,
        "service_code": code,
        "description": public_text(case.description),
        "agency_responsible": agency.name if agency else None,
        "service_notice": notice_of(category),
        "requested_datetime": w3(case.opened_at),
        "updated_datetime": w3(case.closed_at if status == "closed" and case.closed_at else case.updated_at),
        "expected_datetime": w3(case.due_at),
        "address": case.address or case.street or None,
        "address_id": o311.get("address_id"),
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": o311.get("media_url") or case.data.get("media_url"),
    }
    if extensions:
        row["status_description"] = state
    return row


def notice_of(category: taxonomy.Category | None) -> str | None:
    if category is None:
        return None
    return (f"{category.sla_workdays}个工作日内办结，办理结果将回访征求您的评价 / to be resolved within "
            f"{category.sla_workdays} working days; you will be asked to rate the result")


# ---------------------------------------------------------------- rendering


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0


def _xml_fill(parent: ET.Element, value: Any, tag: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_fill(ET.SubElement(parent, key), inner, key)
    elif isinstance(value, list):
        for inner in value:
            _xml_fill(ET.SubElement(parent, ITEM.get(tag, "item")), inner, ITEM.get(tag, "item"))
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif value is not None:
        parent.text = _NOT_XML.sub("", str(value))


def render(fmt: str, root: str, payload: Any, status: int = 200) -> Response:
    if fmt == "json":
        body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        return Response(body, status_code=status, media_type="application/json; charset=utf-8")
    element = ET.Element(root)
    _xml_fill(element, payload, root)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return Response(body, status_code=status, media_type="text/xml; charset=utf-8")


def _errors(fmt: str, status: int, description: str) -> Response:
    return render(fmt, "errors", [{"code": status, "description": description}], status)


def _answer(fmt: str, session: Session | None, build: Callable[[], tuple[str, Any]]) -> Response:
    """Run `build` and render its (root element, payload); any error becomes an Open311 error list
    (and the request's store changes are rolled back)."""
    if fmt not in FORMATS:
        return _errors("xml", 404, f"format {fmt[:16]!r} is not offered: use .xml or .json")
    try:
        root, payload = build()
        return render(fmt, root, payload)
    except (Open311Error, DigigovError) as exc:
        if session is not None and not getattr(exc, "keep", False):
            session.rollback()
        if isinstance(exc, Open311Error):
            return _errors(fmt, exc.status, exc.description)
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, PermissionDenied) else 400
        zh, en = error_text(exc, "zh"), error_text(exc, "en")
        return _errors(fmt, status, en if zh == en else f"{en} / {zh}")


def _jurisdiction(request: Request, given: str | None) -> None:
    ours = str(getattr(request.app.state.settings, "open311_jurisdiction", "") or JURISDICTION_ID)
    value = (given or "").strip().lower().removeprefix("www.")
    if value and value != ours.lower():
        raise Open311Error(404, f"jurisdiction_id {value[:64]} was not found: this endpoint serves {ours}")


# ---------------------------------------------------------------- routes


discovery = APIRouter(prefix="/open311", tags=["open311"])


@discovery.get("/discovery.{fmt}", summary="Service Discovery (Open311)", responses=ERRORS)
def discover(request: Request, fmt: str) -> Response:
    """Where the GeoReport v2 endpoint is and what it offers, as clients that start from discovery expect."""

    def build() -> tuple[str, Any]:
        base = str(request.base_url).rstrip("/")
        return "discovery", {
            "changeset": CHANGESET,
            "contact": "12345 政务服务便民热线 / 12345 citizen hotline",
            "key_service": "API keys are issued by the platform's administrators (digigov open311 keys create)",
            "endpoints": [{"specification": SPECIFICATION, "url": f"{base}/open311/v2", "changeset": CHANGESET,
                           "type": "production", "formats": ["text/xml", "application/json"]}],
        }

    return _answer(fmt, None, build)


@router.get("/services.{fmt}", summary="GET Service List (诉求类别)", responses=ERRORS)
def services(request: Request, fmt: str, jurisdiction_id: str | None = None) -> Response:
    def build() -> tuple[str, Any]:
        _jurisdiction(request, jurisdiction_id)
        return "services", [service_row(c) for c in taxonomy.CATEGORIES]

    return _answer(fmt, None, build)


@router.get("/services/{service_code}.{fmt}", summary="GET Service Definition", responses=ERRORS)
def service_definition(request: Request, service_code: str, fmt: str, jurisdiction_id: str | None = None) -> Response:
    def build() -> tuple[str, Any]:
        _jurisdiction(request, jurisdiction_id)
        return "service_definition", definition(_service(service_code))

    return _answer(fmt, None, build)


def _parse_w3(name: str, value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    text = value.strip().replace(" ", "+")  # a '+' offset arrives as a space when not URL-encoded
    try:
        moment = datetime.fromisoformat(text[:40])
    except ValueError:
        moment = None
    if moment is None or not 1970 <= moment.year <= 2200:
        raise Open311Error(400, f"{name} must be a W3C datetime such as 2026-01-01T00:00:00Z")
    return moment.replace(tzinfo=LOCAL) if moment.tzinfo is None else moment


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@router.get("/requests.{fmt}", summary="GET Service Requests", responses=ERRORS)
def list_requests(
    request: Request, fmt: str, session: DB, service_request_id: str | None = None, service_code: str | None = None,
    start_date: str | None = None, end_date: str | None = None, status: str | None = None,
    jurisdiction_id: str | None = None, extensions: str | None = None,
) -> Response:
    def build() -> tuple[str, Any]:
        _jurisdiction(request, jurisdiction_id)
        ext = (extensions or "").lower() == "true"
        stmt = select(Case).where(Case.type_code == TYPE_CODE)
        ids, codes = _split(service_request_id), _split(service_code)[:100]
        if ids:  # overrides all other arguments
            if len(ids) > MAX_IDS:
                raise Open311Error(400, f"at most {MAX_IDS} service_request_id values at once")
            stmt = stmt.where(Case.number.in_([i[:40] for i in ids]))
        else:
            start, end = _parse_w3("start_date", start_date), _parse_w3("end_date", end_date)
            if start and end and end < start:
                raise Open311Error(400, "end_date is before start_date")
            if start and end and end - start > timedelta(days=MAX_DAYS):
                raise Open311Error(400, f"start_date and end_date may not span more than {MAX_DAYS} days")
            if start is None:
                end = end or utcnow()
                start = end - timedelta(days=MAX_DAYS)
            elif end is None:
                end = start + timedelta(days=MAX_DAYS)
            stmt = stmt.where(Case.opened_at >= start, Case.opened_at <= end)
            states = set(_split(status))
            if states - {"open", "closed"}:
                raise Open311Error(400, "status must be open, closed or both (comma delimited)")
            if states == {"open"}:
                stmt = stmt.where(Case.status != "closed")
            elif states == {"closed"}:
                stmt = stmt.where(Case.status == "closed")
            if codes:  # tickets not yet classified carry the suggested code in their data
                stmt = stmt.where(or_(Case.category.in_(codes), Case.category.is_(None)))
        cases = session.scalars(stmt.order_by(Case.opened_at.desc(), Case.id.desc()).limit(MAX_RESULTS * 2)).all()
        if not ids and codes:
            cases = [c for c in cases if (c.category or c.data.get("suggested")) in codes]
        return "service_requests", [request_row(session, c, extensions=ext) for c in cases[:MAX_RESULTS]]

    return _answer(fmt, session, build)


@router.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request", responses=ERRORS)
def get_request(request: Request, service_request_id: str, fmt: str, session: DB,
                jurisdiction_id: str | None = None, extensions: str | None = None) -> Response:
    def build() -> tuple[str, Any]:
        _jurisdiction(request, jurisdiction_id)
        case = session.scalar(select(Case).where(Case.type_code == TYPE_CODE, Case.number == service_request_id[:40]))
        if case is None:
            raise Open311Error(404, f"service_request_id {service_request_id[:40]} was not found / 没有此诉求")
        return "service_requests", [request_row(session, case, extensions=(extensions or "").lower() == "true")]

    return _answer(fmt, session, build)


@router.get("/tokens/{token}.{fmt}", summary="GET service_request_id from a token", responses=ERRORS)
def get_token(request: Request, token: str, fmt: str, session: DB, jurisdiction_id: str | None = None) -> Response:
    def build() -> tuple[str, Any]:
        _jurisdiction(request, jurisdiction_id)
        case = session.scalar(select(Case).where(Case.type_code == TYPE_CODE, Case.citizen_token == token[:64]))
        if case is None:
            raise Open311Error(404, "token was not found / 没有此凭证")
        return "service_requests", [{"service_request_id": case.number, "token": token}]

    return _answer(fmt, session, build)


async def form_fields(request: Request) -> list[tuple[str, str]]:
    """The POST's parameters: the form body (urlencoded or multipart), then the query string."""
    length = request.headers.get("content-length") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        return [("__bad_body__", f"the request body must be at most {MAX_BODY} bytes")]
    items: list[tuple[str, str]] = []
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/")):
        try:
            form = await request.form(max_files=0, max_fields=300)
        except HTTPException as exc:  # a malformed body, a file part, too many fields
            return [("__bad_body__", str(exc.detail)[:200])]
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return items + [(k, v) for k, v in request.query_params.multi_items()]


_ATTR = re.compile(r"^attribute\[([^\]]{1,64})\](\[\])?$")
_LIMITS = {"address_string": 300, "address_id": 100, "email": 254, "device_id": 100, "account_id": 100,
           "first_name": 30, "last_name": 30, "phone": 30, "media_url": 1000, "service_code": 80, "description": 4000}


def _float(params: dict[str, str], name: str, bound: float) -> float | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number (WGS84 degrees)") from None
    if not math.isfinite(value) or abs(value) > bound:
        raise Open311Error(400, f"{name} is out of range")
    return value


@router.post("/requests.{fmt}", summary="POST Service Request (needs api_key)", responses=ERRORS,
             openapi_extra={"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                 "type": "object", "required": ["api_key", "service_code"],
                 "properties": {k: {"type": "string", "maxLength": n} for k, n in
                                {**_LIMITS, "api_key": 200, "jurisdiction_id": 100, "lat": 40, "long": 40}.items()},
             }}}}})
def post_request(request: Request, fmt: str, session: DB,
                 form: Annotated[list[tuple[str, str]], Depends(form_fields)]) -> Response:
    def build() -> tuple[str, Any]:
        from digigov.apps.digital_society.people_call_we_act import service

        for k, v in form:
            if k == "__bad_body__":
                raise Open311Error(400, f"the request body cannot be read: {v}")
        params: dict[str, str] = {}
        attrs: dict[str, list[str]] = {}
        for k, v in form:
            v = _NOT_XML.sub("", v)  # control characters (NUL included) never reach the store
            match = _ATTR.match(k)
            if match:
                attrs.setdefault(match.group(1), []).append(v)
            else:
                params.setdefault(k, v)  # the body wins over the query string
        _jurisdiction(request, params.get("jurisdiction_id"))
        try:
            key = open311_keys.resolve_key(session, params.get("api_key"))
        except PermissionDenied:  # nothing was written yet: the refusal's record is all the request keeps
            record(session, Actor(username="open311:anonymous", via="citizen"), "open311.post", "http",
                   request.url.path[:80], result="denied", detail={"reason": "missing, invalid or revoked api_key"})
            raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request. "
                                    "/ api_key 缺失、无效或已吊销", keep=True) from None
        for name, limit in _LIMITS.items():
            if len(params.get(name, "")) > limit:
                raise Open311Error(400, f"{name} is longer than {limit} characters")
        code = params.get("service_code", "").strip()
        if not code:
            raise Open311Error(400, "service_code was not provided / 请选择诉求类别")
        category = _service(code)
        lat, lon = _float(params, "lat", 90), _float(params, "long", 180)
        if (lat is None) != (lon is None):
            raise Open311Error(400, "lat and long must be sent together")
        address = params.get("address_string", "").strip()
        address_id = params.get("address_id", "").strip()
        if lat is None and not address and not address_id:
            raise Open311Error(400, "a location is required: lat & long, address_string or address_id / 请提供地点")
        media_url = params.get("media_url", "").strip()
        if media_url and not re.match(r"^https?://[^\s]+$", media_url):
            raise Open311Error(400, "media_url must be an http(s) URL")
        values = check_attributes(category, attrs)
        text = params.get("description", "").strip() or f"{category.name}：{address or address_id or '见定位'}"
        extra_line = _attribute_line(category, values)
        first, last = params.get("first_name", "").strip(), params.get("last_name", "").strip()
        cjk = re.search(r"[\u4e00-\u9fff]", first + last)
        name = f"{last}{first}" if cjk else " ".join(p for p in (first, last) if p)
        account_id = params.get("account_id", "").strip() or None
        o311 = {"key": key.name, "service_code": code, "attributes": values, "address_id": address_id or None,
                "media_url": media_url or None, "email": params.get("email", "").strip() or None,
                "device_id": params.get("device_id", "").strip() or None, "account_id": account_id}
        intake = service.submit(
            session, open311_keys.actor_for(key), text=f"{text}\n{extra_line}".strip()[: service.MAX_TEXT],
            channel="open311", category=code, address=address, lon=lon, lat=lat, name=name[:60],
            phone=params.get("phone", "").strip(), title=service.title_of(text), extra={"open311": o311},
        )
        return "service_requests", [{"service_request_id": intake.case.number,
                                     "service_notice": _post_notice(intake, category), "account_id": account_id}]

    return _answer(fmt, session, build)


def _post_notice(intake: Any, category: taxonomy.Category) -> str:
    case = intake.case
    if intake.duplicates:
        numbers = "、".join(d["number"] for d in intake.duplicates)
        return f"疑似重复诉求（{numbers}），12345热线核实后派单 / looks like {numbers}; the 12345 hotline will check it"
    if intake.dispatched and case.department:
        return (f"已派单至{case.department.name}，{category.sla_workdays}个工作日内办结 / dispatched to "
                f"{case.department.name}, to be resolved within {category.sla_workdays} working days")
    return "已受理，12345热线将尽快分拨 / received; the 12345 hotline will dispatch it shortly"
