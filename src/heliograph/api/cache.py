"""REST: cache administration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from heliograph.api.auth import require_principal
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.gateway import CacheCleared, CacheMetrics
from heliograph.api.services import services_of
from heliograph.meta.keys import Principal
from heliograph.store.newest import newest_rows
from heliograph.store.params import Params

router = APIRouter(tags=["Cache"])


@router.delete("/v1/cache", response_model=Envelope[CacheCleared])
async def clear_cache(
    request: Request, caller: Annotated[Principal, Depends(require_principal)]
) -> dict[str, Any]:
    """Forget every cached response of the caller's organization."""
    cleared = await services_of(request).cache.clear(caller.organization_id)
    return ok({"cleared": cleared})


@router.get("/v1/cache/metrics", response_model=Envelope[CacheMetrics])
async def cache_metrics(
    request: Request,
    caller: Annotated[Principal, Depends(require_principal)],
    hours: Annotated[int, Query(ge=1, le=24 * 366)] = 24 * 30,
) -> dict[str, Any]:
    """Cache hits, hit rate and what the hits saved, over the last `hours` hours."""
    engine = services_of(request).engine
    params = {"org": caller.organization_id, "hours": hours}
    saved = await engine.select(
        "SELECT sum(cache_hit_count) AS hits, sum(saved_cost) AS saved_cost, "
        "sum(saved_prompt_tokens) AS saved_prompt_tokens, "
        "sum(saved_completion_tokens) AS saved_completion_tokens "
        "FROM cache_metrics WHERE organization_id = {org:UUID} "
        "AND date >= toDate(now() - toIntervalHour({hours:UInt32}))",
        params,
    )
    recent = Params()
    window = f"request_created_at >= now64(3) - toIntervalHour({recent.add(hours, 'UInt32')})"
    source = await newest_rows(engine, caller.organization_id, recent, window)
    totals = await engine.select(
        f"SELECT countIf(cache_enabled) AS cacheable, count() AS requests FROM {source}",
        recent.values,
    )
    row, total = saved[0], totals[0]
    hits = int(row["hits"] or 0)
    cacheable = int(total["cacheable"] or 0)
    return ok(
        {
            "hours": hours,
            "requests": int(total["requests"] or 0),
            "cache_enabled_requests": cacheable,
            "hits": hits,
            "hit_rate": hits / cacheable if cacheable else 0.0,
            "saved_cost_usd": int(row["saved_cost"] or 0) / 1_000_000_000,
            "saved_prompt_tokens": int(row["saved_prompt_tokens"] or 0),
            "saved_completion_tokens": int(row["saved_completion_tokens"] or 0),
        }
    )
