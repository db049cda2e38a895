"""Models of the HQL endpoints (Helicone's `ExecuteSqlRequest`, `HqlSavedQuery`, ...).

HQL bodies are validated by hand (api/hql.py, hql/saved_queries.py) so that every refusal
carries its `HQL_...` code; the request models here only document them, as components.
HQL errors are Jawn's `{"data": null, "error": "[HQL_...] message"}` plus the code and
message apart in `hqlError`: `HqlErrorEnvelope`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from heliograph.api.schemas.components import JsonSchema, model_components
from heliograph.api.schemas.envelope import Answer
from heliograph.api.schemas.text import STORABLE_TEXT
from heliograph.hql.execute import DEFAULT_LIMIT, MAX_LIMIT
from heliograph.hql.sandbox import MAX_SQL_CHARS
from heliograph.hql.saved_queries import MAX_NAME_LENGTH, MAX_SQL_LENGTH

SQL_RULES = (
    "One SELECT (or WITH ... SELECT, UNION ...) over request_response_rmt and the other "
    "tables of GET /v1/helicone-sql/schema, using allowlisted functions only; other "
    "statements, tables and functions are refused with their HQL_ error code"
)
HqlErrorCode = Literal[
    "HQL_INVALID_STATEMENT",
    "HQL_INVALID_TABLE",
    "HQL_INVALID_FUNCTION",
    "HQL_INVALID_SQL_CONSTRUCT",
    "HQL_SYNTAX_ERROR",
    "HQL_INVALID_LIMIT",
    "HQL_QUERY_TOO_LARGE",
    "HQL_QUERY_TIMEOUT",
    "HQL_MEMORY_LIMIT_EXCEEDED",
    "HQL_RESULT_LIMIT_EXCEEDED",
    "HQL_EXECUTION_FAILED",
    "HQL_SCHEMA_FETCH_FAILED",
    "HQL_NO_DATA_RETURNED",
    "HQL_QUERY_NOT_FOUND",
    "HQL_MISSING_QUERY_ID",
    "HQL_MISSING_QUERY_NAME",
    "HQL_MISSING_QUERY_SQL",
    "HQL_QUERY_NAME_TOO_LONG",
    "HQL_RATE_LIMITED",
    "HQL_UNEXPECTED_ERROR",
]


def _limit(default: int) -> Any:
    return Field(
        default,
        ge=1,
        le=MAX_LIMIT,
        description=f"Rows at most (default {default}); a LIMIT in the SQL also applies",
    )


class ExecuteSqlRequest(BaseModel):
    """Helicone's `ExecuteSqlRequest`; other keys are ignored."""

    sql: str = Field(
        max_length=MAX_SQL_CHARS,
        json_schema_extra={"pattern": STORABLE_TEXT},
        description=SQL_RULES,
    )
    limit: int | None = _limit(DEFAULT_LIMIT)


class DownloadCsvRequest(BaseModel):
    """Helicone's `ExecuteSqlRequest`, for a CSV download; other keys are ignored."""

    sql: str = Field(
        max_length=MAX_SQL_CHARS,
        json_schema_extra={"pattern": STORABLE_TEXT},
        description=SQL_RULES,
    )
    limit: int | None = _limit(MAX_LIMIT)


class CreateSavedQueryRequest(BaseModel):
    """Helicone's `CreateSavedQueryRequest`; other keys are ignored. Name and SQL are stored
    trimmed; the SQL is checked when it runs, not when it is saved."""

    name: str = Field(
        max_length=MAX_NAME_LENGTH,
        json_schema_extra={"pattern": STORABLE_TEXT},
        description=f"At most {MAX_NAME_LENGTH} characters once trimmed",
    )
    sql: str = Field(max_length=MAX_SQL_LENGTH, json_schema_extra={"pattern": STORABLE_TEXT})


class BulkDeleteSavedQueriesRequest(BaseModel):
    """Helicone's `BulkDeleteSavedQueriesRequest`; unknown or malformed ids are skipped."""

    ids: list[str]


class HqlErrorDetail(Answer):
    code: HqlErrorCode
    message: str


class HqlErrorEnvelope(Answer):
    """An HQL refusal or failure: Jawn's `"[code] message"` string, and both apart."""

    data: None
    error: str = Field(description='"[HQL_...] message", as Jawn formats an HqlError')
    hqlError: HqlErrorDetail


class ExecuteSqlResponse(Answer):
    """Helicone's `ExecuteSqlResponse`."""

    rows: list[dict[str, Any]] = Field(description="Column name -> value, in the SELECT's order")
    elapsedMilliseconds: int
    size: int = Field(description="Bytes of `rows` as JSON")
    rowCount: int


class ClickHouseTableColumn(Answer):
    name: str
    type: str
    default_type: str
    default_expression: str
    comment: str
    codec_expression: str
    ttl_expression: str


class ClickHouseTableSchema(Answer):
    table_name: str
    columns: list[ClickHouseTableColumn]


class HqlSavedQuery(Answer):
    id: str
    organization_id: str
    name: str
    sql: str
    created_at: str
    updated_at: str


COMPONENTS: dict[str, JsonSchema] = model_components(
    ExecuteSqlRequest,
    DownloadCsvRequest,
    CreateSavedQueryRequest,
    BulkDeleteSavedQueriesRequest,
    HqlErrorEnvelope,
)
