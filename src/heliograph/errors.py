"""One error hierarchy, and one renderer per wire surface.

REST API and passthrough proxy routes answer `{"data": null, "error": "..."}`; the
OpenAI-compatible gateway routes answer OpenAI's `{"error": {"message", "type", "param",
"code"}}`, the same for Heliograph's own errors and for a provider's translated ones.
"""

from __future__ import annotations

from typing import Any

import orjson


class HeliographError(Exception):
    """Every error Heliograph raises on purpose: a status, OpenAI's error type and code."""

    status = 500
    kind = "server_error"
    code: str | None = None  # OpenAI's machine-readable code, where OpenAI has one

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class AuthError(HeliographError):
    status = 401
    kind = "authentication_error"
    code: str | None = "invalid_api_key"


class UnknownKeyError(AuthError):
    """A key was sent and is not one: Jawn's 401 then says `"trace": "isAuthenticated.error"`
    beside the error (a missing key answers the error alone)."""

    trace = "isAuthenticated.error"


class ForbiddenError(HeliographError):
    status = 403
    kind = "permission_error"


class ClientClosed(HeliographError):
    """The client went away before its answer was complete: nobody reads this error (499,
    nginx's "client closed request"), it only stops the work done for them."""

    status = 499
    kind = "client_closed_request"

    def __init__(self, message: str = "The client closed the connection") -> None:
        super().__init__(message)


class InvalidRequestError(HeliographError):
    status = 400
    kind = "invalid_request_error"


class NotFoundError(HeliographError):
    status = 404
    kind = "not_found_error"


class RetryLaterError(HeliographError):
    """Refused for now (429 throttled, 503 busy); `retry_after_s` becomes `Retry-After`."""

    status = 429
    kind = "rate_limit_error"
    code: str | None = "rate_limit_exceeded"

    def __init__(self, message: str, retry_after_s: int, status: int | None = None) -> None:
        super().__init__(message, status)
        self.retry_after_s = retry_after_s
        if self.status == 503:  # busy, not throttled
            self.kind, self.code = "service_unavailable_error", None


class MetaUnavailable(RetryLaterError):
    """The metadata database (keys, organizations) cannot be reached and nothing cached can
    answer for it: 503, never a 500, and never the database's address in the message."""

    status = 503
    kind = "service_unavailable_error"
    code = None

    def __init__(self, retry_after_s: int = 5) -> None:
        super().__init__("Metadata store unavailable; retry shortly", retry_after_s)


class UpstreamError(HeliographError):
    status = 502
    kind = "upstream_error"


class UpstreamTimeout(UpstreamError):
    status = 504
    kind = "timeout_error"


def envelope(error: HeliographError) -> bytes:
    """Helicone's REST envelope."""
    return orjson.dumps({"data": None, "error": error.message})


def openai_error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """OpenAI's `{"error": {"message", "type", "param", "code"}}`, as its API sends it."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def openai_error(error: HeliographError) -> bytes:
    return orjson.dumps(openai_error_body(error.message, error.kind, error.code))
