"""REST: custom property keys, values and per-value metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from heliograph.api.auth import require_principal
from heliograph.meta.keys import Principal
from heliograph.store.filters import parse_timestamp
from heliograph.store.properties import property_keys, property_metrics, property_values

router = APIRouter(tags=["Property"])
Caller = Annotated[Principal, Depends(require_principal)]


class PropertySearch(BaseModel):
    searchTerm: str = ""
    limit: int = Field(100, ge=1, le=1000)


class TimeFilter(BaseModel):
    start: str | None = None
    end: str | None = None


class PropertyMetricsQuery(BaseModel):
    timeFilter: TimeFilter | None = None
    limit: int = Field(100, ge=1, le=1000)


def _time(value: str | None) -> str | None:
    return None if value is None else parse_timestamp(value).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@router.post("/v1/property/query")
async def query_properties(request: Request, caller: Caller) -> dict[str, Any]:
    """Distinct custom property keys of the organization, with the number of requests."""
    keys = await property_keys(request.app.state.services.engine, caller.organization_id)
    return {"data": keys, "error": None}


@router.post("/v1/property/{property_key}/search")
async def search_property_values(
    property_key: str, request: Request, caller: Caller, query: PropertySearch
) -> dict[str, Any]:
    """Values of one property containing `searchTerm` (case-insensitive), most used first."""
    values = await property_values(
        request.app.state.services.engine,
        caller.organization_id,
        property_key,
        query.searchTerm,
        query.limit,
    )
    return {"data": values, "error": None}


@router.post("/v1/property/{property_key}/top-costs")
async def property_value_metrics(
    property_key: str, request: Request, caller: Caller, query: PropertyMetricsQuery
) -> dict[str, Any]:
    """Requests, cost, average latency and tokens per value of one property, costliest first."""
    window = query.timeFilter or TimeFilter()
    rows = await property_metrics(
        request.app.state.services.engine,
        caller.organization_id,
        property_key,
        _time(window.start),
        _time(window.end),
        query.limit,
    )
    return {"data": rows, "error": None}
