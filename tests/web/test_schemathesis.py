"""Schemathesis over the whole OpenAPI document, with a bearer token for two roles: no 5xx and no
undocumented response anywhere. A new endpoint is covered the day it appears."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from sqlalchemy.orm import Session

from digigov.core.db import make_engine, make_session_factory
from digigov.core.settings import Settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.web.app import create_app
from tests.web.conftest import ROLE_USERS

# The deepest-reaching role and a department officer outside the data's owner: the permission matrix
# covers every role's answers; the fuzz looks for crashes, which the widest role reaches most of.
FUZZ_ROLES = ("officer", "platform_admin")


@pytest.fixture(params=FUZZ_ROLES)
def role_token(request: pytest.FixtureRequest, session: Session) -> str:
    _, secret = identity.create_token(session, Actor.operator(), ROLE_USERS[request.param], name="fuzz")
    session.commit()
    return secret


def _document_app() -> FastAPI:
    """An app used only to read the OpenAPI document (it touches no store)."""
    settings_ = Settings(var_dir=Path(tempfile.mkdtemp(prefix="digigov-openapi-")), secret_key="openapi")
    return create_app(settings_, session_factory=make_session_factory(make_engine("sqlite://")))


schema = schemathesis.openapi.from_asgi("/openapi.json", _document_app()).include(path_regex="^/api/")


@pytest.mark.sqlite_only  # the API tests cover PostgreSQL; fuzzing both would double the time
@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case, app: FastAPI, role_token: str) -> None:
    """Each case runs against the test's own app, whose store is rolled back afterwards."""
    case.call_and_validate(headers={"Authorization": f"Bearer {role_token}"}, app=app)
