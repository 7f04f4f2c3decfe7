"""HTTP plumbing every router shares: the per-request store session and the request language.

`DB` commits when the route function returns and rolls back if it raises, before the response is
sent, so a client never sees a success whose change (and audit record) was not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from digigov.core.db import unit_of_work
from digigov.core.i18n import pick_lang


def get_db(request: Request) -> Iterator[Session]:
    with unit_of_work(request.app.state.session_factory) as session:
        yield session


def get_lang(request: Request) -> str:
    """?lang= wins, then the `lang` cookie, then the server default (zh)."""
    settings = request.app.state.settings
    return pick_lang(request.query_params.get("lang") or request.cookies.get("lang"), settings.default_lang)


DB = Annotated[Session, Depends(get_db, scope="function")]
Lang = Annotated[str, Depends(get_lang)]
