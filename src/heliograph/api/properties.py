"""REST: custom property keys, values and per-value metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.properties import (
    PropertyKeyCount,
    PropertyMetricsQuery,
    PropertySearch,
    PropertyValueMetrics,
    TimeFilter,
)
from heliograph.api.services import services_of
from heliograph.store.filters import EARLIEST, LATEST, parse_timestamp
from heliograph.store.properties import property_keys, property_metrics, property_values

router = APIRouter(tags=["Property"])


def _time(value: str | None) -> str | None:
    if value is None:
        return None
    # DateTime64 holds 1900..2299 (and strftime writes year 1 as "1"): clamp, as filters do.
    moment = min(max(parse_timestamp(value), EARLIEST), LATEST)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@router.post("/v1/property/query", response_model=Envelope[list[PropertyKeyCount]])
async def query_properties(request: Request, caller: Reader) -> dict[str, Any]:
    """Distinct custom property keys of the organization, with the number of requests."""
    keys = await property_keys(services_of(request).engine, caller.organization_id)
    return ok(keys)


@router.post("/v1/property/{property_key}/search", response_model=Envelope[list[str]])
async def search_property_values(
    property_key: str, request: Request, caller: Reader, query: PropertySearch
) -> dict[str, Any]:
    """Values of one property containing `searchTerm` (case-insensitive), most used first, as
    Helicone answers them: a list of strings."""
    values = await property_values(
        services_of(request).engine,
        caller.organization_id,
        property_key,
        query.searchTerm,
        query.limit,
    )
    return ok([entry["value"] for entry in values])


@router.post(
    "/v1/property/{property_key}/top-costs", response_model=Envelope[list[PropertyValueMetrics]]
)
async def property_value_metrics(
    property_key: str, request: Request, caller: Reader, query: PropertyMetricsQuery
) -> dict[str, Any]:
    """Requests, cost, average latency and tokens per value of one property, costliest first."""
    window = query.timeFilter or TimeFilter()
    rows = await property_metrics(
        services_of(request).engine,
        caller.organization_id,
        property_key,
        _time(window.start),
        _time(window.end),
        query.limit,
    )
    return ok(rows)
