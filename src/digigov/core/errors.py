"""Errors that services raise; entry points translate them (HTTP status, CLI exit code)."""

from __future__ import annotations


class DigigovError(Exception):
    """Base class. `code` is stable and machine-readable; `message` is English for logs and API clients;
    `key` (with `detail` as its parameters) names a message in the i18n catalogue, so pages can say it in
    the reader's language (see digigov.core.i18n.error_text)."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, key: str = "", **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.detail = detail


class NotFound(DigigovError):
    code = "not_found"
    http_status = 404


class PermissionDenied(DigigovError):
    code = "forbidden"
    http_status = 403


class NotAuthenticated(DigigovError):
    code = "not_authenticated"
    http_status = 401


class InvalidInput(DigigovError):
    code = "invalid"
    http_status = 422


class Conflict(DigigovError):
    code = "conflict"
    http_status = 409


class TooManyAttempts(DigigovError):
    code = "too_many_attempts"
    http_status = 429
