"""JSON routes of the IRS catalogue: search, resources (read, register, update, link), cart, requests, reviews,
duplicate checks.

Routes only parse, call `digigov.platform.catalog.service`, and serialise; errors are the service's
`DigigovError`s, turned into `{"error": code, "message": ...}` by the application's handler.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.orm import Session

from digigov.core.http import DB
from digigov.identity.http import CurrentActor
from digigov.platform.catalog import service as catalog
from digigov.platform.catalog.labels import (
    ITEM_STATE_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    SYSTEM_LABELS,
    TIER_LABELS,
    VERDICT_LABELS,
    label,
)
from digigov.platform.catalog.model import (
    CartItem,
    DuplicateCheck,
    RequestItem,
    Resource,
    ResourceRequest,
)

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])

MAX_ID = 2**31 - 1
KindName = Literal["application", "dataset", "component", "cloud_resource"]  # model.KINDS
SystemName = Literal["party_governance", "digital_government", "digital_economy", "digital_society",
                     "rule_of_law"]  # model.SYSTEMS
StatusName = Literal["planned", "building", "online", "offline", "retired"]  # model.STATUSES
TierName = Literal["province", "city", "county"]
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"  # printable text: no NUL or other control characters
# the same, with at least one visible character (required text: blank is refused by the schema itself)
NON_BLANK = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*[^\s\x00-\x1f][^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
CODE_PATTERN = r"^[^\x00-\x1f/]+$"
ATTRIBUTE_KEY = r"^[^\x00-\x1f\x7f]+$"  # one line of printable text


def _not_bool(value: Any) -> Any:
    """JSON `true` is not the integer 1 here (pydantic's lax mode would take it as one)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an integer")
    return value


Id32 = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_not_bool)]


# ---------------------------------------------------------------- response models


class ErrorOut(BaseModel):
    error: str = Field(description="stable machine-readable code, e.g. not_found, forbidden, conflict")
    message: str


class ValidationErrorOut(BaseModel):
    """A request that does not fit the schema (FastAPI's `detail` list) or that a service refused."""

    model_config = ConfigDict(extra="allow")
    error: str | None = None
    message: str | None = None
    detail: Any = None


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Body is not valid JSON", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
            409: "Conflict with the current state", 422: "Invalid input"}
    loose = (400, 422)  # shaped by the framework's own handlers as well as ours
    return {c: {"model": ValidationErrorOut if c in loose else ErrorOut, "description": text[c]}
            for c in codes}


READ = _errors(401, 403, 422)
READ_ONE = _errors(401, 403, 404, 422)
WRITE = _errors(400, 401, 403, 404, 409, 422)


class DepartmentRef(BaseModel):
    id: int
    code: str
    name: str


class ResourceSummary(BaseModel):
    id: int
    code: str
    kind: str
    kind_label: str
    name: str
    owner: DepartmentRef
    tier: str
    system: str | None
    status: str
    reuse_count: int


class ResourceOut(ResourceSummary):
    name_en: str
    description: str
    region_code: str
    tier_label: str
    system_label: str
    status_label: str
    tags: list[str]
    functions: list[str]
    attributes: dict[str, Any]
    requires_authority: bool
    budget_wan: float | None
    created_at: datetime
    updated_at: datetime


class HitOut(BaseModel):
    resource: ResourceOut
    score: float
    name_html: str = Field(description="the name, HTML-escaped, query terms wrapped in <mark>")
    snippet_html: str = Field(description="about 80 characters around the first hit, HTML-escaped")


class FacetOut(BaseModel):
    value: str
    label: str
    count: int


class SearchOut(BaseModel):
    total: int
    hits: list[HitOut]
    facets: dict[str, list[FacetOut]] = Field(description="keys: kind, system, department, tier")


class DependenciesOut(BaseModel):
    resource: ResourceSummary
    uses: list[ResourceSummary]
    used_by: list[ResourceSummary]


class ShelfOut(BaseModel):
    kind: str
    label: str
    label_en: str
    count: int


class CartItemOut(BaseModel):
    id: int
    resource: ResourceSummary
    added_at: datetime


class CartOut(BaseModel):
    items: list[CartItemOut]


class ItemOut(BaseModel):
    id: int
    request_id: int
    resource: ResourceSummary
    owner: DepartmentRef
    needs_authority: bool
    state: str
    state_label: str
    purpose: str
    requester: str
    requester_department: str
    owner_reviewer: str | None
    owner_comment: str
    owner_decided_at: datetime | None
    authority_reviewer: str | None
    authority_comment: str
    authority_decided_at: datetime | None
    provisioned_at: datetime | None
    provision_note: str


class RequestOut(BaseModel):
    id: int
    purpose: str
    legal_basis: str
    requester: str
    requester_department: DepartmentRef
    submitted_at: datetime
    items: list[ItemOut]


class OverlapOut(BaseModel):
    proposed: str
    existing: str
    similarity: float


class MatchOut(BaseModel):
    code: str
    name: str
    owner: str
    score: float
    coverage: float | None = None
    text_similarity: float | None = None
    overlaps: list[OverlapOut]


class DuplicateCheckOut(BaseModel):
    id: int | None
    name: str
    description: str
    functions: list[str]
    proposer_department_id: int | None
    budget_wan: float | None
    verdict: str
    verdict_label: str
    score: float = Field(description="share of the proposed functions some existing application has")
    suggested_cut_wan: float | None = Field(description="budget cut suggested by a reduce_budget verdict")
    matches: list[MatchOut]
    checked_by: str
    checked_at: datetime


# ---------------------------------------------------------------- request bodies


class CartAddIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resource: Id32 | Annotated[
        str, Field(min_length=1, max_length=40, pattern=CODE_PATTERN)
    ] = Field(description="the resource's code (e.g. DAT-330100-0001) or id")


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(min_length=1, max_length=2000, pattern=NON_BLANK)
    legal_basis: str = Field(default="", max_length=2000, pattern=NO_CONTROL)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: StrictBool
    comment: str = Field(default="", max_length=2000, pattern=NO_CONTROL)


class ProvisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=2000, pattern=NO_CONTROL)


class DuplicateCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=NON_BLANK)
    description: str = Field(default="", max_length=20_000, pattern=NO_CONTROL)
    functions: list[Annotated[str, Field(min_length=1, max_length=200, pattern=NON_BLANK)]] = Field(
        min_length=1, max_length=200, description="The proposed application's functions, one per entry")
    proposer_department: Id32 | Annotated[
        str, Field(max_length=64, pattern=NO_CONTROL)
    ] | None = None
    budget_wan: Annotated[float, Field(strict=True, ge=0, le=1e9, allow_inf_nan=False)] | None = None


Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NON_BLANK)]
NameEn = Annotated[str, Field(max_length=200, pattern=NO_CONTROL)]
Description = Annotated[str, Field(max_length=20_000, pattern=NO_CONTROL)]
Tags = Annotated[list[Annotated[str, Field(min_length=1, max_length=64, pattern=NO_CONTROL)]],
                 Field(max_length=100, description="keywords; blank and repeated entries are dropped")]
Functions = Annotated[list[Annotated[str, Field(min_length=1, max_length=200, pattern=NO_CONTROL)]],
                      Field(max_length=500, description="an application's functions, one per entry")]
Budget = Annotated[float, Field(strict=True, ge=0, le=1e9, allow_inf_nan=False, description="万元 (10k CNY)")]
DepartmentIn = Id32 | Annotated[str, Field(min_length=1, max_length=64, pattern=NO_CONTROL)]
ResourceRefIn = Id32 | Annotated[str, Field(min_length=1, max_length=40, pattern=CODE_PATTERN)]
AttributeValue = (
    Annotated[str, Field(strict=True, max_length=500, pattern=NO_CONTROL)]
    | Annotated[int, Field(strict=True, ge=-(2**53), le=2**53)]
    # the same range: JSON Schema counts 3.0 as an integer, which the float branch then takes
    | Annotated[float, Field(strict=True, ge=-(2**53), le=2**53, allow_inf_nan=False)]
    | StrictBool
    | Annotated[list[Annotated[str, Field(strict=True, max_length=100, pattern=NO_CONTROL)]], Field(max_length=50)]
    | None
)
# additionalProperties: the key pattern is a rule, not a suggestion (a schema alone would allow other keys)
Attributes = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64, pattern=ATTRIBUTE_KEY)], AttributeValue],
    Field(max_length=32, json_schema_extra={"additionalProperties": False},
          description="kind-specific metadata (e.g. update_frequency, api_style, spec): at most 32 keys, "
                      "each a scalar or a list of strings"),
]
OWNER_DOC = "the owner department's code (e.g. 330100-public_security) or id"


class ResourceIn(BaseModel):
    """A resource to register. A data steward registers for their own department; an admin for any."""

    model_config = ConfigDict(extra="forbid")
    kind: KindName
    name: Name
    name_en: NameEn = ""
    description: Description = ""
    owner_department: DepartmentIn = Field(description=OWNER_DOC)
    system: SystemName | None = None
    status: StatusName = "online"
    tags: Tags = []
    functions: Functions = []
    attributes: Attributes = {}
    requires_authority: StrictBool | None = Field(
        default=None, description="whether a request also needs the data authority's review; "
                                  "null: yes for datasets and cloud resources, no for the others")
    budget_wan: Budget | None = None
    depends_on: list[ResourceRefIn] = Field(
        default=[], max_length=50,
        description="codes (or ids) of the resources this one uses; dependencies run application -> "
                    "dataset -> component -> cloud_resource, and one against that order is a 409")


NULLABLE_UPDATES = frozenset({"system", "budget_wan"})


class ResourcePatch(BaseModel):
    """Any subset of a resource's changeable fields (not its kind or code). `system` and `budget_wan` may
    be null (none); the other fields, when present, may not."""

    model_config = ConfigDict(extra="forbid")
    name: Name | SkipJsonSchema[None] = None
    name_en: NameEn | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    owner_department: DepartmentIn | SkipJsonSchema[None] = Field(default=None, description=OWNER_DOC)
    system: SystemName | None = None
    status: StatusName | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None
    functions: Functions | SkipJsonSchema[None] = None
    attributes: Attributes | SkipJsonSchema[None] = None
    requires_authority: StrictBool | SkipJsonSchema[None] = None
    budget_wan: Budget | None = None

    @model_validator(mode="after")
    def _present_means_a_value(self) -> ResourcePatch:
        nulls = sorted(f for f in self.model_fields_set - NULLABLE_UPDATES if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as the service's keyword arguments."""
        return {f: getattr(self, f) for f in sorted(self.model_fields_set)}


class DependencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    depends_on: ResourceRefIn = Field(description="the code (or id) of the resource used")


# ---------------------------------------------------------------- serialisers


def _dept(d: Any) -> DepartmentRef:
    return DepartmentRef(id=d.id, code=d.code, name=d.name)


def _summary(r: Resource) -> ResourceSummary:
    return ResourceSummary(id=r.id, code=r.code, kind=r.kind, kind_label=label(KIND_LABELS, r.kind),
                           name=r.name, owner=_dept(r.owner), tier=r.tier, system=r.system, status=r.status,
                           reuse_count=r.reuse_count)


def _resource(r: Resource) -> ResourceOut:
    return ResourceOut(
        **_summary(r).model_dump(), name_en=r.name_en, description=r.description, region_code=r.region_code,
        tier_label=label(TIER_LABELS, r.tier), system_label=label(SYSTEM_LABELS, r.system),
        status_label=label(STATUS_LABELS, r.status), tags=list(r.tags or []),
        functions=list(r.functions or []),
        attributes=dict(r.attributes or {}), requires_authority=r.requires_authority, budget_wan=r.budget_wan,
        created_at=r.created_at, updated_at=r.updated_at,
    )


def _dependencies(session: Session, resource: Resource) -> DependenciesOut:
    return DependenciesOut(resource=_summary(resource),
                           uses=[_summary(r) for r in catalog.dependencies(session, resource)],
                           used_by=[_summary(r) for r in catalog.dependents(session, resource)])


def _item(i: RequestItem) -> ItemOut:
    req = i.request
    return ItemOut(
        id=i.id, request_id=i.request_id, resource=_summary(i.resource), owner=_dept(i.owner),
        needs_authority=i.needs_authority, state=i.state, state_label=label(ITEM_STATE_LABELS, i.state),
        purpose=req.purpose, requester=req.requester.display_name or req.requester.username,
        requester_department=req.requester_department.name, owner_reviewer=i.owner_reviewer,
        owner_comment=i.owner_comment or "", owner_decided_at=i.owner_decided_at,
        authority_reviewer=i.authority_reviewer, authority_comment=i.authority_comment or "",
        authority_decided_at=i.authority_decided_at, provisioned_at=i.provisioned_at,
        provision_note=i.provision_note or "",
    )


def _request(r: ResourceRequest) -> RequestOut:
    return RequestOut(id=r.id, purpose=r.purpose, legal_basis=r.legal_basis or "",
                      requester=r.requester.display_name or r.requester.username,
                      requester_department=_dept(r.requester_department), submitted_at=r.submitted_at,
                      items=[_item(i) for i in r.items])


def _cart_item(c: CartItem) -> CartItemOut:
    return CartItemOut(id=c.id, resource=_summary(c.resource), added_at=c.added_at)


def _check(c: DuplicateCheck) -> DuplicateCheckOut:
    return DuplicateCheckOut(
        id=c.id, name=c.name, description=c.description or "", functions=list(c.functions or []),
        proposer_department_id=c.proposer_department_id, budget_wan=c.budget_wan, verdict=c.verdict,
        verdict_label=label(VERDICT_LABELS, c.verdict), score=c.score,
        suggested_cut_wan=catalog.suggested_budget_cut(c),
        matches=[MatchOut.model_validate(m) for m in (c.matches or [])], checked_by=c.checked_by,
        checked_at=c.checked_at,
    )


# ---------------------------------------------------------------- routes

Code = Annotated[str, Path(min_length=1, max_length=40, pattern=CODE_PATTERN,
                           description="a resource code such as APP-330100-0007, or its id")]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/resources", response_model=SearchOut, responses=READ, summary="Search the catalogue")
def search_resources(
    session: DB, actor: CurrentActor,
    q: Annotated[str, Query(max_length=200, pattern=NO_CONTROL, description="words to look for")] = "",
    kind: KindName | None = None,
    system: SystemName | None = None,
    department_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    tier: TierName | None = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    status: StatusName | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> SearchOut:
    result = catalog.search(session, actor, q, kind=kind, system=system, department_id=department_id,
                            tier=tier, region_code=region_code, status=status, limit=limit, offset=offset)
    return SearchOut(
        total=result.total,
        hits=[HitOut(resource=_resource(h.resource), score=h.score, name_html=h.name_html,
                     snippet_html=h.snippet_html) for h in result.hits],
        facets={k: [FacetOut(value=f.value, label=f.label, count=f.count) for f in v]
                for k, v in result.facets.items()},
    )


@router.get("/resources/{code}", response_model=ResourceOut, responses=READ_ONE, summary="One resource")
def get_resource(session: DB, actor: CurrentActor, code: Code) -> ResourceOut:
    return _resource(catalog.get_resource(session, actor, code))


@router.post("/resources", response_model=ResourceOut, status_code=status.HTTP_201_CREATED, responses=WRITE,
             summary="Register a resource (its department's data steward, or a platform admin)")
def create_resource(session: DB, actor: CurrentActor, body: ResourceIn) -> ResourceOut:
    resource = catalog.create_resource(
        session, actor, kind=body.kind, name=body.name, name_en=body.name_en, description=body.description,
        owner_department=body.owner_department, system=body.system, status=body.status, tags=body.tags,
        functions=body.functions, attributes=body.attributes, requires_authority=body.requires_authority,
        budget_wan=body.budget_wan, depends_on=body.depends_on,
    )
    return _resource(resource)


@router.patch("/resources/{code}", response_model=ResourceOut, responses=WRITE,
              summary="Change a resource's description fields (the fields sent, nothing else)")
def update_resource(session: DB, actor: CurrentActor, code: Code, body: ResourcePatch) -> ResourceOut:
    return _resource(catalog.update_resource(session, actor, code, **body.changes()))


@router.get("/resources/{code}/dependencies", response_model=DependenciesOut, responses=READ_ONE,
            summary="What a resource uses and what uses it")
def get_dependencies(session: DB, actor: CurrentActor, code: Code) -> DependenciesOut:
    return _dependencies(session, catalog.get_resource(session, actor, code))


@router.post("/resources/{code}/dependencies", response_model=DependenciesOut, responses=WRITE,
             summary="Record that a resource uses another (idempotent); the updated dependencies")
def add_dependency(session: DB, actor: CurrentActor, code: Code, body: DependencyIn) -> DependenciesOut:
    catalog.add_dependency(session, actor, code, body.depends_on)
    return _dependencies(session, catalog.get_resource(session, actor, code))


@router.get("/shelves", response_model=list[ShelfOut], responses=_errors(401, 403),
            summary="Resources per shelf (kind)")
def shelves(session: DB, actor: CurrentActor) -> list[ShelfOut]:
    counts = catalog.shelf_counts(session, actor)
    return [ShelfOut(kind=k, label=KIND_LABELS[k][0], label_en=KIND_LABELS[k][1], count=n)
            for k, n in counts.items()]


@router.get("/cart", response_model=CartOut, responses=_errors(401, 403), summary="My cart")
def get_cart(session: DB, actor: CurrentActor) -> CartOut:
    return CartOut(items=[_cart_item(c) for c in catalog.cart_items(session, actor)])


@router.post("/cart/items", response_model=CartItemOut, status_code=status.HTTP_201_CREATED, responses=WRITE,
             summary="Put a resource in my cart (idempotent)")
def add_to_cart(session: DB, actor: CurrentActor, body: CartAddIn) -> CartItemOut:
    return _cart_item(catalog.cart_add(session, actor, body.resource))


@router.delete("/cart/items/{code}", status_code=status.HTTP_204_NO_CONTENT, responses=READ_ONE,
               response_class=Response, summary="Take a resource out of my cart")
def remove_from_cart(session: DB, actor: CurrentActor, code: Code) -> Response:
    catalog.cart_remove(session, actor, code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/requests", response_model=RequestOut, status_code=status.HTTP_201_CREATED, responses=WRITE,
             summary="Submit my cart as one request (购物车式一键申请)")
def submit(session: DB, actor: CurrentActor, body: SubmitIn) -> RequestOut:
    return _request(catalog.submit_cart(session, actor, purpose=body.purpose, legal_basis=body.legal_basis))


@router.get("/requests", response_model=list[RequestOut], responses=_errors(401, 403), summary="My requests")
def list_requests(session: DB, actor: CurrentActor) -> list[RequestOut]:
    return [_request(r) for r in catalog.my_requests(session, actor)]


@router.get("/requests/{request_id}", response_model=RequestOut, responses=READ_ONE, summary="One request")
def get_request(session: DB, actor: CurrentActor, request_id: Id) -> RequestOut:
    return _request(catalog.get_request(session, actor, request_id))


@router.get("/inbox", response_model=list[ItemOut], responses=_errors(401, 403),
            summary="Items waiting for my decision")
def inbox(session: DB, actor: CurrentActor) -> list[ItemOut]:
    return [_item(i) for i in catalog.inbox(session, actor)]


@router.get("/inbox/to-provision", response_model=list[ItemOut], responses=_errors(401, 403),
            summary="Granted items of my department waiting to be provisioned")
def to_provision(session: DB, actor: CurrentActor) -> list[ItemOut]:
    return [_item(i) for i in catalog.provisionable(session, actor)]


@router.post("/request-items/{item_id}/decision", response_model=ItemOut, responses=WRITE,
             summary="Approve or refuse an item (a refusal needs a comment)")
def decide(session: DB, actor: CurrentActor, item_id: Id, body: DecisionIn) -> ItemOut:
    return _item(catalog.decide(session, actor, item_id, approve=body.approve, comment=body.comment))


@router.post("/request-items/{item_id}/provision", response_model=ItemOut, responses=WRITE,
             summary="Open a granted item to the requester")
def provision(session: DB, actor: CurrentActor, item_id: Id, body: ProvisionIn) -> ItemOut:
    return _item(catalog.provision(session, actor, item_id, note=body.note))


@router.post("/duplicate-checks", response_model=DuplicateCheckOut, status_code=status.HTTP_201_CREATED,
             responses=WRITE, summary="Check a proposed application for duplicate construction (应用查重)")
def run_duplicate_check(session: DB, actor: CurrentActor, body: DuplicateCheckIn) -> DuplicateCheckOut:
    check = catalog.check_duplicates(session, actor, name=body.name, description=body.description,
                                     functions=body.functions, proposer_department=body.proposer_department,
                                     budget_wan=body.budget_wan)
    return _check(check)


@router.get("/duplicate-checks", response_model=list[DuplicateCheckOut], responses=READ,
            summary="The latest duplicate checks")
def list_duplicate_checks(
    session: DB, actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DuplicateCheckOut]:
    return [_check(c) for c in catalog.list_duplicate_checks(session, actor, limit=limit)]
