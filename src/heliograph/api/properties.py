"""REST: custom property keys (listed, hidden, restored), values and per-value metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.properties import (
    HiddenProperty,
    HideAnswer,
    PropertyKeyBody,
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
    """Distinct custom property keys of the organization, with the number of requests;
    hidden keys are left out."""
    services = services_of(request)
    keys = await property_keys(services.engine, caller.organization_id)
    hidden = await asyncio.to_thread(services.hidden_properties.hidden, caller.organization_id)
    folded = {key.lower() for key in hidden}
    return ok([entry for entry in keys if entry["property"].lower() not in folded])


@router.post("/v1/property/hidden/query", response_model=Envelope[list[HiddenProperty]])
async def hidden_properties(request: Request, caller: Caller) -> dict[str, Any]:
    """The keys the organization hid, in order."""
    store = services_of(request).hidden_properties
    hidden = await asyncio.to_thread(store.hidden, caller.organization_id)
    return ok([{"property": key} for key in hidden])


@router.post("/v1/property/hide", response_model=Envelope[HideAnswer])
async def hide_property(request: Request, caller: Caller, body: PropertyKeyBody) -> dict[str, Any]:
    """Hide a key from /v1/property/query (its requests and values are untouched)."""
    store = services_of(request).hidden_properties
    await asyncio.to_thread(store.hide, caller.organization_id, body.key)
    return ok({"ok": True})


@router.post("/v1/property/restore", response_model=Envelope[HideAnswer])
async def restore_property(
    request: Request, caller: Caller, body: PropertyKeyBody
) -> dict[str, Any]:
    """List a hidden key again."""
    store = services_of(request).hidden_properties
    await asyncio.to_thread(store.restore, caller.organization_id, body.key)
    return ok({"ok": True})


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
