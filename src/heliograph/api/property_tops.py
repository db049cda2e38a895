"""REST: one custom property over time and its top values by cost or requests (Jawn's
PropertyController: `properties/over-time`, `{key}/top-costs/query`, `{key}/top-requests/query`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request

from heliograph.api.fair_reads import Reader
from heliograph.api.jawn_metrics import buckets_of, scope_of
from heliograph.api.metrics import window_of
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.jawn_metrics import (
    PropertyOverTimeBody,
    PropertyValueAt,
    TimeFilterBody,
    ValueCost,
    ValueCount,
)
from heliograph.api.services import services_of
from heliograph.store import jawn_metrics as jm
from heliograph.store.filters import property_value
from heliograph.store.params import Params
from heliograph.store.property_tops import top_values

router = APIRouter(tags=["Property"])
PropertyKey = Path(min_length=1, max_length=1000, description="Matched case-insensitively")


@router.post("/v1/property/properties/over-time", response_model=Envelope[list[PropertyValueAt]])
async def property_over_time(
    request: Request, caller: Reader, body: PropertyOverTimeBody
) -> dict[str, Any]:
    """Cost and requests per bucket and value of `propertyKey`; only pairs with requests."""
    window = window_of(body.timeFilter)
    buckets = buckets_of(body, window)
    scope = scope_of(caller, body.filter, window)

    def value(params: Params) -> str:
        return property_value(params.add(body.propertyKey, "String"))

    columns = {"cost": "sum(cost)", "requests": "count()"}
    rows = await jm.per_bucket(
        services_of(request).engine, scope, buckets, columns, value, where="g_key != ''"
    )
    return ok(
        [
            {
                "property": row["group"],
                "total_cost": int(row["cost"]) / jm.NANO_USD,
                "request_count": int(row["requests"]),
                "created_at_trunc": buckets.start_of(row["index"]),
            }
            for row in rows
        ]
    )


async def _top(request: Request, caller: Any, key: str, body: TimeFilterBody, measure: str) -> Any:
    scope = scope_of(caller, "all", window_of(body.timeFilter))
    return await top_values(services_of(request).engine, scope, key, measure)


@router.post(
    "/v1/property/{property_key}/top-costs/query", response_model=Envelope[list[ValueCost]]
)
async def top_costs(
    request: Request, caller: Reader, body: TimeFilterBody, property_key: str = PropertyKey
) -> dict[str, Any]:
    """The ten costliest values of a property in the window, then "Other" for the rest."""
    found = await _top(request, caller, property_key, body, "cost")
    return ok([{"value": e["value"], "cost": e["cost"] / jm.NANO_USD} for e in found])


@router.post(
    "/v1/property/{property_key}/top-requests/query", response_model=Envelope[list[ValueCount]]
)
async def top_requests(
    request: Request, caller: Reader, body: TimeFilterBody, property_key: str = PropertyKey
) -> dict[str, Any]:
    """The ten values of a property with the most requests, then "Other" for the rest."""
    return ok(await _top(request, caller, property_key, body, "count"))
