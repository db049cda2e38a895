"""HQL's typed errors: Helicone's `HqlErrorCode`s, rendered as Jawn renders them.

Jawn's HeliconeSqlController answers an HqlError as the string `"[CODE] message"` in the
usual envelope; the code and message also come apart, in `hqlError` (`HqlError`'s fields).

The codes and HTTP statuses follow Helicone's `HqlErrors.ts`; INVALID_FUNCTION,
INVALID_SQL_CONSTRUCT, INVALID_LIMIT, QUERY_TOO_LARGE and RATE_LIMITED are ours. One
deliberate difference: EXECUTION_FAILED (the engine refused the query: unknown column,
bad types) answers 400, since the SQL is the caller's, where Helicone answers 500.
"""

from __future__ import annotations

from typing import Any

from heliograph.errors import HeliographError

INVALID_STATEMENT = "HQL_INVALID_STATEMENT"
INVALID_TABLE = "HQL_INVALID_TABLE"
INVALID_FUNCTION = "HQL_INVALID_FUNCTION"
INVALID_SQL_CONSTRUCT = "HQL_INVALID_SQL_CONSTRUCT"
SYNTAX_ERROR = "HQL_SYNTAX_ERROR"
INVALID_LIMIT = "HQL_INVALID_LIMIT"
QUERY_TOO_LARGE = "HQL_QUERY_TOO_LARGE"
QUERY_TIMEOUT = "HQL_QUERY_TIMEOUT"
MEMORY_LIMIT_EXCEEDED = "HQL_MEMORY_LIMIT_EXCEEDED"
RESULT_LIMIT_EXCEEDED = "HQL_RESULT_LIMIT_EXCEEDED"
EXECUTION_FAILED = "HQL_EXECUTION_FAILED"
SCHEMA_FETCH_FAILED = "HQL_SCHEMA_FETCH_FAILED"
NO_DATA_RETURNED = "HQL_NO_DATA_RETURNED"
QUERY_NOT_FOUND = "HQL_QUERY_NOT_FOUND"
MISSING_QUERY_ID = "HQL_MISSING_QUERY_ID"
MISSING_QUERY_NAME = "HQL_MISSING_QUERY_NAME"
MISSING_QUERY_SQL = "HQL_MISSING_QUERY_SQL"
QUERY_NAME_TOO_LONG = "HQL_QUERY_NAME_TOO_LONG"
RATE_LIMITED = "HQL_RATE_LIMITED"
UNEXPECTED_ERROR = "HQL_UNEXPECTED_ERROR"

STATUS = {
    INVALID_STATEMENT: 400,
    INVALID_TABLE: 400,
    INVALID_FUNCTION: 400,
    INVALID_SQL_CONSTRUCT: 400,
    SYNTAX_ERROR: 400,
    INVALID_LIMIT: 400,
    QUERY_TOO_LARGE: 413,
    MISSING_QUERY_ID: 400,
    MISSING_QUERY_NAME: 400,
    MISSING_QUERY_SQL: 400,
    QUERY_NAME_TOO_LONG: 400,
    EXECUTION_FAILED: 400,
    QUERY_NOT_FOUND: 404,
    NO_DATA_RETURNED: 404,
    RATE_LIMITED: 429,
    QUERY_TIMEOUT: 503,
    MEMORY_LIMIT_EXCEEDED: 503,
    RESULT_LIMIT_EXCEEDED: 503,
    SCHEMA_FETCH_FAILED: 500,
    UNEXPECTED_ERROR: 500,
}


class HqlError(HeliographError):
    """An HQL request refused or failed; `code` says why, `message` names the culprit."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, STATUS.get(code, 500))
        self.code = code

    def wire(self) -> dict[str, Any]:
        return {
            "data": None,
            "error": f"[{self.code}] {self.message}",
            "hqlError": {"code": self.code, "message": self.message},
        }
