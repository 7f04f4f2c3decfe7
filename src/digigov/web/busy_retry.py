"""Run a request again when SQLite refused its transaction because another writer got in first.

In WAL mode a transaction that has read and then tries to write, after another connection (the in-process
worker, a second server process) committed in between, fails at once with "database is locked": its
snapshot cannot become a write transaction, and the busy timeout does not apply. Such a request changed
nothing (its transaction was rolled back before any response was sent), so it is safe to run it again from
the start with its body replayed. PostgreSQL never raises this; the middleware is only installed for SQLite.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("digigov.web")

ATTEMPTS = 4
MAX_REPLAY_BYTES = 1024 * 1024  # larger bodies (file uploads) stream through and are not retried


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


class BusyRetryMiddleware:
    def __init__(self, app: ASGIApp, attempts: int = ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts
        self.retried = 0  # requests run more than once (for tests and logs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        if more:  # too large to keep: one attempt, the rest of the body read as usual
            await self.app(scope, _replay(body, receive), send)
            return
        for attempt in range(1, self.attempts + 1):
            started = False

            async def watch(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                await self.app(scope, _replay(body, receive), watch)
                return
            except Exception as exc:
                if started or attempt == self.attempts or not is_busy(exc):
                    raise
                self.retried += 1
                log.info("store busy, running %s %s again (attempt %d)", scope.get("method"), scope.get("path"),
                         attempt + 1)
                await asyncio.sleep(0.05 * attempt)


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    """The request's body messages, up to MAX_REPLAY_BYTES; True when more remain unread."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages, False
        size += len(message.get("body", b""))
        if size > MAX_REPLAY_BYTES:
            return messages, True


def _replay(messages: list[Message], rest: Receive) -> Receive:
    """The kept body messages, then the server's own receive (which waits for the client to go away)."""
    queue = list(messages)

    async def receive() -> Any:
        if queue:
            return queue.pop(0)
        return await rest()

    return receive
