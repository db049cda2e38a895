"""REST: HQL, SQL over the caller's own requests (Helicone's `/v1/helicone-sql/...`).

Errors here carry a code: `{"data": null, "error": "[HQL_...] message", "hqlError": {"code",
"message"}}` (`render_error`, registered for HqlError only). Bodies are read
and checked here, not by FastAPI, so that even a body that is not JSON is answered so.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse

from heliograph.api.auth import Caller
from heliograph.api.fair_reads import read_turn
from heliograph.api.schemas.components import ref
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.hql import (
    ClickHouseTableSchema,
    ExecuteSqlResponse,
    HqlSavedQuery,
)
from heliograph.api.services import services_of
from heliograph.hql import errors
from heliograph.hql.download import open_csv
from heliograph.hql.errors import HqlError
from heliograph.hql.execute import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    HqlLimits,
    execute,
    prepare,
    schema,
)
from heliograph.hql.saved_queries import validated
from heliograph.hql.service import DOWNLOADS_PER_MINUTE, EXECUTE_PER_MINUTE, HqlService
from heliograph.meta.keys import Principal

router = APIRouter(prefix="/v1/helicone-sql", tags=["HeliconeSql"])


class CsvResponse(StreamingResponse):
    media_type = "text/csv"


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "Refused: the code says why (HQL_SYNTAX_ERROR, HQL_INVALID_TABLE, ...)",
        404: "HQL_QUERY_NOT_FOUND, or HQL_NO_DATA_RETURNED for a download",
        413: "HQL_QUERY_TOO_LARGE: the query is longer than hql_max_sql_chars",
        429: "HQL_RATE_LIMITED: 100 queries and 10 downloads per minute per organization, "
        "or the organization's queries in flight stayed at reads_per_org too long",
        500: "HQL_UNEXPECTED_ERROR, HQL_SCHEMA_FETCH_FAILED",
        503: "HQL_QUERY_TIMEOUT (30 s), HQL_MEMORY_LIMIT_EXCEEDED, HQL_RESULT_LIMIT_EXCEEDED",
    }
    # Always JSON, also where the answer itself is CSV.
    content = {"application/json": {"schema": ref("HqlErrorEnvelope")}}
    return {status: {"description": described[status], "content": content} for status in statuses}


def _body(component: str) -> dict[str, Any]:
    content = {"application/json": {"schema": ref(component)}}
    return {"requestBody": {"required": True, "content": content}}


def render_error(_: Request, exc: Exception) -> Response:
    """HqlError's envelope, its code in the error text and apart (registered in api/app.py)."""
    assert isinstance(exc, HqlError)
    return Response(orjson.dumps(exc.wire()), status_code=exc.status, media_type="application/json")


async def _hql_reader(request: Request, caller: Caller) -> AsyncIterator[Principal]:
    """The caller holding a read slot (api/fair_reads.py); a full queue is HQL_RATE_LIMITED."""

    def busy(exc: Exception) -> HqlError:
        return HqlError(errors.RATE_LIMITED, str(exc))

    async with read_turn(request, caller.organization_id, busy):
        yield caller


Reader = Annotated[Principal, Depends(_hql_reader, scope="function")]


def _hql(request: Request) -> HqlService:
    service: HqlService = services_of(request).hql
    return service


def _limits(request: Request) -> HqlLimits:
    settings = services_of(request).settings
    return replace(_hql(request).limits, max_sql_chars=settings.hql_max_sql_chars)


async def _json(request: Request) -> Any:
    """The JSON body, or None when there is none or it is not JSON (each caller names what
    it expected, with its own code). Like FastAPI, a body sent as another media type is
    not read as JSON."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and not media_type.endswith(("/json", "+json")):
        return None
    body = await request.body()
    try:
        return orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError:
        return None


def _sql_and_limit(body: Any, default_limit: int) -> tuple[str, int]:
    if not isinstance(body, dict) or not isinstance(body.get("sql"), str):
        raise HqlError(errors.MISSING_QUERY_SQL, 'Body must be {"sql": "...", "limit"?: n}')
    limit = body.get("limit", default_limit)
    if limit is None:
        limit = default_limit
    if isinstance(limit, float) and limit.is_integer():  # 5.0 is an integer in JSON Schema
        limit = int(limit)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise HqlError(errors.INVALID_LIMIT, f"limit must be an integer from 1 to {MAX_LIMIT}")
    return body["sql"], limit


@router.post(
    "/execute",
    response_model=Envelope[ExecuteSqlResponse],
    responses=_errors(400, 413, 429, 500, 503),
    openapi_extra=_body("ExecuteSqlRequest"),
)
async def execute_sql(request: Request, caller: Reader) -> Response:
    """Run one SELECT over your requests: rows plus elapsedMilliseconds, size and rowCount."""
    sql, limit = _sql_and_limit(await _json(request), DEFAULT_LIMIT)
    hql = _hql(request)
    hql.rates.admit(caller.organization_id, "query", EXECUTE_PER_MINUTE)
    engine = services_of(request).engine
    answer = await execute(
        engine, caller.organization_id, sql, limit, _limits(request), hql.checker
    )
    return StreamingResponse(
        answer.chunks(),
        media_type="application/json",
        headers={"content-length": str(answer.length)},
    )


@router.get(
    "/schema",
    response_model=Envelope[list[ClickHouseTableSchema]],
    responses=_errors(500),
)
async def get_schema(request: Request, caller: Reader) -> dict[str, Any]:
    """The tables HQL can read and their columns (the tenant column left out)."""
    tables = await schema(services_of(request).engine)
    return ok(tables)


@router.post(
    "/download",
    response_class=CsvResponse,
    responses={
        200: {"description": "The result as CSV, a header row first"},
        **_errors(400, 404, 413, 429, 500, 503),
    },
    openapi_extra=_body("DownloadCsvRequest"),
)
async def download_csv(request: Request, caller: Reader) -> Response:
    """The full result of a query (up to 300,000 rows) as CSV, streamed as it is read."""
    sql, limit = _sql_and_limit(await _json(request), MAX_LIMIT)
    hql = _hql(request)
    hql.rates.admit(caller.organization_id, "download", DOWNLOADS_PER_MINUTE)
    limits = _limits(request)
    confined, params = await prepare(sql, caller.organization_id, limit, limits, hql.checker)
    engine = services_of(request).engine
    chunks = await open_csv(engine, confined, params, limits)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="hql-export-{stamp}.csv"'},
    )


@router.get("/saved-queries", response_model=Envelope[list[HqlSavedQuery]])
async def list_saved_queries(request: Request, caller: Caller) -> dict[str, Any]:
    queries = await asyncio.to_thread(_hql(request).saved.list_queries, caller.organization_id)
    return ok([query.shown() for query in queries])


@router.post(
    "/saved-query",
    status_code=201,
    response_model=Envelope[list[HqlSavedQuery]],
    responses=_errors(400),
    openapi_extra=_body("CreateSavedQueryRequest"),
)
async def create_saved_query(request: Request, caller: Caller) -> dict[str, Any]:
    """Save a query for the organization; answers a list holding it, as Helicone does."""
    name, sql = validated(await _json(request))
    query = await asyncio.to_thread(_hql(request).saved.create, caller.organization_id, name, sql)
    return ok([query.shown()])


@router.get(
    "/saved-query/{query_id}",
    response_model=Envelope[HqlSavedQuery],
    responses=_errors(404),
)
async def get_saved_query(query_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    query = await asyncio.to_thread(_hql(request).saved.get, caller.organization_id, query_id)
    if query is None:
        raise _not_found(query_id)
    return ok(query.shown())


@router.put(
    "/saved-query/{query_id}",
    response_model=Envelope[HqlSavedQuery],
    responses=_errors(400, 404),
    openapi_extra=_body("CreateSavedQueryRequest"),
)
async def update_saved_query(query_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    name, sql = validated(await _json(request))
    query = await asyncio.to_thread(
        _hql(request).saved.update, caller.organization_id, query_id, name, sql
    )
    if query is None:
        raise _not_found(query_id)
    return ok(query.shown())


@router.delete(
    "/saved-query/{query_id}",
    status_code=204,
    response_class=Response,
    responses=_errors(404),
)
async def delete_saved_query(query_id: str, request: Request, caller: Caller) -> Response:
    deleted = await asyncio.to_thread(
        _hql(request).saved.delete, caller.organization_id, [query_id]
    )
    if not deleted:
        raise _not_found(query_id)
    return Response(status_code=204)


@router.post(
    "/saved-queries/bulk-delete",
    response_model=Envelope[None],
    responses=_errors(400),
    openapi_extra=_body("BulkDeleteSavedQueriesRequest"),
)
async def bulk_delete_saved_queries(request: Request, caller: Caller) -> dict[str, Any]:
    """Delete several saved queries by id (`{"ids": [...]}`); unknown ids are skipped."""
    body = await _json(request)
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise HqlError(errors.MISSING_QUERY_ID, 'Body must be {"ids": ["<query id>", ...]}')
    await asyncio.to_thread(_hql(request).saved.delete, caller.organization_id, ids)
    return ok(None)


def _not_found(query_id: str) -> HqlError:
    return HqlError(errors.QUERY_NOT_FOUND, f"Query not found: {query_id}")
