"""JSON API of identity: who am I, regions, departments, users (admins), and my API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from digigov.core.http import DB
from digigov.identity import service as identity
from digigov.identity.http import CurrentActor
from digigov.identity.model import ApiToken, Department, Region, User
from digigov.identity.permissions import require

Role = Literal["platform_admin", "data_steward", "officer", "approver", "auditor"]
NO_NUL = r"^[^\x00]*$"
MAX_ID = 2_147_483_647


def _reject_bool(value: Any) -> Any:
    """JSON true/false are not integers here (pydantic's lax mode would read them as 1/0)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an integer")
    return value


class ErrorOut(BaseModel):
    error: str = Field(description="Stable machine-readable code, e.g. not_found, forbidden")
    message: str
    detail: list[dict[str, Any]] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Malformed request"},
    401: {"model": ErrorOut, "description": "Not logged in, or the token is invalid, expired or revoked"},
    403: {"model": ErrorOut, "description": "The caller may not do this (or the CSRF token is missing)"},
    404: {"model": ErrorOut, "description": "No such object"},
    409: {"model": ErrorOut, "description": "Conflicts with the current state"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}

router = APIRouter(prefix="/api/v1", tags=["identity"], responses=ERRORS)


# ---------------------------------------------------------------- response and request models


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RegionOut(_Out):
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None


class DepartmentOut(_Out):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    region_code: str
    tier: str
    is_data_authority: bool
    active: bool


class DepartmentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DepartmentOut]


class DepartmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: StrictBool


class MeOut(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    department: DepartmentOut | None
    via: str


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    active: bool
    roles: list[str]
    department: DepartmentOut
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            active=user.active,
            roles=sorted(user.roles),
            department=DepartmentOut.model_validate(user.department),
            created_at=user.created_at,
        )


class UserPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[UserOut]


Username = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.]+$")]
Password = Annotated[str, Field(min_length=10, max_length=256, pattern=NO_NUL)]
DepartmentRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^([0-9]{1,9}|[0-9]{6}-[a-z_]{1,40})$",
        description="Department code (e.g. 330100-public_security) or numeric id",
    ),
]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    display_name: Annotated[str, Field(max_length=64, pattern=NO_NUL)] = ""
    password: Password
    department: DepartmentRef
    roles: Annotated[list[Role], Field(min_length=1, max_length=5)]


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: Annotated[list[Role], Field(min_length=1, max_length=5)] | None = None
    active: StrictBool | None = None
    password: Password | None = None


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    active: bool

    @classmethod
    def of(cls, tok: ApiToken) -> TokenOut:
        return cls(
            id=tok.id,
            name=tok.name,
            prefix=tok.prefix,
            created_at=tok.created_at,
            expires_at=tok.expires_at,
            revoked_at=tok.revoked_at,
            last_used_at=tok.last_used_at,
            active=token_active(tok),
        )


class TokenCreated(TokenOut):
    token: str = Field(description="The secret; shown this once and never stored")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)] = "api"
    expires_days: Annotated[int, Field(ge=1, le=3650), BeforeValidator(_reject_bool)] | None = Field(
        default=None, description="Days until it expires; none for a token without expiry"
    )


def token_active(tok: ApiToken) -> bool:
    from digigov.core.clock import utcnow

    return tok.revoked_at is None and (tok.expires_at is None or tok.expires_at > utcnow())


# ---------------------------------------------------------------- routes

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Text = Annotated[str | None, Query(max_length=64, pattern=NO_NUL)]


@router.get("/me", response_model=MeOut)
def me(actor: CurrentActor, session: DB) -> MeOut:
    """The caller: username, roles and department."""
    dept = session.get(Department, actor.department_id) if actor.department_id else None
    return MeOut(
        username=actor.username,
        display_name=actor.display_name,
        roles=sorted(actor.roles),
        department=DepartmentOut.model_validate(dept) if dept else None,
        via=actor.via,
    )


@router.get("/regions", response_model=list[RegionOut])
def regions(
    actor: CurrentActor,
    session: DB,
    level: Annotated[Literal["province", "city", "county"] | None, Query()] = None,
) -> list[Region]:
    """Zhejiang's province, cities and counties with their GB/T 2260 codes."""
    return identity.list_regions(session, level)


@router.get("/departments", response_model=DepartmentPage)
def departments(
    actor: CurrentActor,
    session: DB,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,6}$")] = None,
    kind: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    q: Text = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> DepartmentPage:
    """Departments, by region and kind; `q` matches part of the name."""
    rows, total = identity.list_departments(
        session, region_code=region_code, kind=kind, q=q, limit=limit, offset=offset
    )
    return DepartmentPage(
        total=total, limit=limit, offset=offset, items=[DepartmentOut.model_validate(d) for d in rows]
    )


@router.patch("/departments/{department_id}", response_model=DepartmentOut)
def update_department(
    actor: CurrentActor,
    session: DB,
    body: DepartmentUpdate,
    department_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Department:
    """Enable or disable a department (platform admins)."""
    return identity.set_department_active(session, actor, department_id, body.active)


@router.get("/users", response_model=UserPage)
def users(
    actor: CurrentActor, session: DB, q: Text = None, limit: Limit = 100, offset: Offset = 0
) -> UserPage:
    """User accounts (platform admins)."""
    rows, total = identity.list_users(session, actor, q=q, limit=limit, offset=offset)
    return UserPage(total=total, limit=limit, offset=offset, items=[UserOut.of(u) for u in rows])


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(actor: CurrentActor, session: DB, body: UserCreate) -> UserOut:
    """Create a user in a department with roles (platform admins)."""
    user = identity.create_user(
        session,
        actor,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        department=body.department,
        roles=body.roles,
    )
    return UserOut.of(user)


@router.patch("/users/{username}", response_model=UserOut)
def update_user(
    actor: CurrentActor,
    session: DB,
    body: UserUpdate,
    username: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.]+$")],
) -> UserOut:
    """Change a user's roles, enable/disable them, or reset their password (platform admins)."""
    user = identity.update_user(
        session, actor, username, roles=body.roles, active=body.active, password=body.password
    )
    return UserOut.of(user)


@router.get("/tokens", response_model=list[TokenOut])
def tokens(actor: CurrentActor, session: DB) -> list[TokenOut]:
    """My API tokens (secrets are never shown again)."""
    require(actor, "token.create", _Self(actor.user_id))
    return [TokenOut.of(t) for t in identity.list_tokens(session, actor, actor.username)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(actor: CurrentActor, session: DB, body: TokenCreate) -> TokenCreated:
    """Create a bearer token for myself; the response holds the secret, once."""
    require(actor, "token.create", _Self(actor.user_id))
    tok, secret = identity.create_token(
        session, actor, actor.username, name=body.name, expires_days=body.expires_days
    )
    return TokenCreated(**TokenOut.of(tok).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(
    actor: CurrentActor, session: DB, token_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> TokenOut:
    """Revoke a token at once (my own; platform admins any)."""
    return TokenOut.of(identity.revoke_token(session, actor, token_id))


class _Self:
    """The caller as a permission target (their own tokens)."""

    def __init__(self, user_id: int | None) -> None:
        self.user_id = user_id
