"""REST: logged requests (read one or some, query and count with the filter AST, update
properties)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request

from heliograph.api.auth import Caller
from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import REQUEST_ID_SCHEMA, Envelope, ok
from heliograph.api.schemas.requests import (
    MAX_PROPERTY_BYTES,
    MAX_QUERY_LIMIT,
    HeliconeRequest,
    PropertyUpdateBody,
    RequestIdsBody,
    RequestQueryParams,
)
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.helicone_headers import valid_uuid
from heliograph.meta.keys import Principal
from heliograph.store.properties import update_properties
from heliograph.store.requests import count_requests, get_request, get_requests, query_requests

router = APIRouter(tags=["Request"])
REQUEST_NOT_FOUND = "Request not found"

RequestId = Annotated[str, Path(json_schema_extra=REQUEST_ID_SCHEMA)]


def _services(request: Request) -> Any:
    return services_of(request)


@router.get("/v1/request/{request_id}", response_model=Envelope[HeliconeRequest])
async def read_request(
    request_id: RequestId,
    request: Request,
    caller: Reader,
    includeBody: Annotated[
        bool,
        Query(
            description="Helicone's switch to fetch bodies kept in S3; Heliograph keeps them "
            "in the log store, so they are in every answer (as Helicone answers for bodies "
            "in ClickHouse), with or without it"
        ),
    ] = False,
) -> dict[str, Any]:
    """One logged request of the caller's organization, in Helicone's request-row shape, with
    its bodies and the URLs of the images in them (`asset_urls`)."""
    canonical = valid_uuid(request_id)
    row = None
    if canonical is not None:
        row = await get_request(_services(request).engine, caller.organization_id, canonical)
    if row is None:
        raise NotFoundError(REQUEST_NOT_FOUND)
    return ok(row)


async def _query(request: Request, caller: Principal, params: RequestQueryParams) -> dict[str, Any]:
    if not 0 <= params.limit <= MAX_QUERY_LIMIT:
        raise InvalidRequestError(f"invalid limit: must be between 0 and {MAX_QUERY_LIMIT}")
    rows = await query_requests(
        _services(request).engine,
        caller.organization_id,
        params.filter,
        sort=params.sort,
        limit=params.limit,
        offset=params.offset,
        cached_only=params.isCached,
        scored_only=params.isScored,
    )
    return ok(rows)


@router.post("/v1/request/query-clickhouse", response_model=Envelope[list[HeliconeRequest]])
async def query_clickhouse(
    request: Request, caller: Reader, params: RequestQueryParams
) -> dict[str, Any]:
    """Requests matching a filter AST, newest first unless `sort` says otherwise."""
    return await _query(request, caller, params)


@router.post("/v1/request/query", response_model=Envelope[list[HeliconeRequest]])
async def query_legacy(
    request: Request, caller: Reader, params: RequestQueryParams
) -> dict[str, Any]:
    """The legacy query endpoint: same body and answer as /v1/request/query-clickhouse."""
    return await _query(request, caller, params)


@router.post("/v1/request/count/query", response_model=Envelope[int])
async def count_query(
    request: Request, caller: Reader, params: RequestQueryParams
) -> dict[str, Any]:
    """How many requests match the body of /v1/request/query (`offset`, `limit`, `sort`
    are ignored)."""
    count = await count_requests(
        _services(request).engine,
        caller.organization_id,
        params.filter,
        cached_only=params.isCached,
        scored_only=params.isScored,
    )
    return ok(count)


@router.post("/v1/request/query-ids", response_model=Envelope[list[HeliconeRequest]])
async def query_ids(request: Request, caller: Reader, body: RequestIdsBody) -> dict[str, Any]:
    """The listed requests of the caller's organization, newest first; unknown ids are left
    out."""
    canonical = (valid_uuid(entry) for entry in body.requestIds)
    ids = list(dict.fromkeys(entry for entry in canonical if entry is not None))
    rows = await get_requests(_services(request).engine, caller.organization_id, ids)
    return ok(rows)


def _property_updates(body: Any) -> dict[str, str]:
    """Both documented bodies: {"key": K, "value": V} and a flat {"K1": "V1", "K2": "V2"}."""
    if not isinstance(body, dict) or not body:
        raise InvalidRequestError(
            'Body must be {"key": "...", "value": "..."} or a map of properties'
        )
    if set(body) == {"key", "value"}:
        if not isinstance(body["key"], str):
            raise InvalidRequestError("Property keys must be non-empty strings")
        body = {body["key"]: body["value"]}
    updates = {}
    for key, value in body.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidRequestError("Property keys must be non-empty strings")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str):
            raise InvalidRequestError(f"Property {key!r} must have a string value")
        updates[key] = value
    size = sum(len(k.encode()) + len(v.encode()) for k, v in updates.items())
    if size > MAX_PROPERTY_BYTES:
        raise InvalidRequestError(f"Properties exceed {MAX_PROPERTY_BYTES} bytes in total")
    return updates


@router.put(
    "/v1/request/{request_id}/property",
    response_model=Envelope[None],
    openapi_extra={"requestBody": {"required": True}},
)
async def put_property(
    request_id: RequestId,
    request: Request,
    caller: Caller,
    body: Annotated[PropertyUpdateBody, Body()] = None,
) -> dict[str, Any]:
    """Add or update custom properties of a logged request."""
    updates = _property_updates(body)
    canonical = valid_uuid(request_id)
    if canonical is None or not await update_properties(
        _services(request).engine, caller.organization_id, canonical, updates
    ):
        raise NotFoundError(REQUEST_NOT_FOUND)
    return ok(None)
