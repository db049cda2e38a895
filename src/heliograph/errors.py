"""One error hierarchy, and one renderer per wire surface.

REST API and passthrough proxy routes answer `{"data": null, "error": "..."}`;
the OpenAI-compatible gateway routes answer OpenAI's `{"error": {...}}` shape.
"""

from __future__ import annotations

from typing import Any

import orjson


class HeliographError(Exception):
    status = 500
    kind = "server_error"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class AuthError(HeliographError):
    status = 401
    kind = "authentication_error"


class ForbiddenError(HeliographError):
    status = 403
    kind = "permission_error"


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

    def __init__(self, message: str, retry_after_s: int, status: int | None = None) -> None:
        super().__init__(message, status)
        self.retry_after_s = retry_after_s


class MetaUnavailable(RetryLaterError):
    """The metadata database (keys, organizations) cannot be reached and nothing cached can
    answer for it: 503, never a 500, and never the database's address in the message."""

    status = 503
    kind = "service_unavailable_error"

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


def openai_error(error: HeliographError) -> bytes:
    body: dict[str, Any] = {"message": error.message, "type": error.kind, "code": error.status}
    return orjson.dumps({"error": body})
