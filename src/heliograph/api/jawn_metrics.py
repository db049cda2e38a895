"""REST: Helicone's named metrics, `POST /v1/metrics/<name>`, as Jawn's MetricsController.

One number over a window (`totalRequests`, `totalCost`, ...), one series per bucket
(`requestOverTime`, `costOverTime`, ...; every bucket present, zeros where no request),
and the groups `models` and `country`. Same filter AST and window as /v1/metrics/overview;
definitions in docs/metrics.md ("Helicone's named metrics").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.fair_reads import Reader
from heliograph.api.metrics import window_of
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.jawn_metrics import (
    CostAt,
    CountAt,
    CountryData,
    DetailedTokensAt,
    GroupsBody,
    LatencyAt,
    MetricsFilterBody,
    MetricsOverTimeBody,
    ModelMetric,
    ModelUsageAt,
    QuantilesAt,
    QuantilesBody,
    RequestCountBody,
    StatusCountAt,
    TokensAt,
    TokensPerRequest,
    TtftAt,
)
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError
from heliograph.meta.keys import Principal
from heliograph.store import jawn_metrics as jm
from heliograph.store.filters import FilterError, compile_filter
from heliograph.store.metrics import Scope
from heliograph.store.metrics_time import Buckets, Window
from heliograph.store.params import Params

router = APIRouter(tags=["Metrics"])
ALL_TIME = Window(datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


def scope_of(caller: Principal, filter_node: Any, window: Window) -> Scope:
    """The caller's organization, a checked filter and a window; 400 on a bad filter."""
    try:
        compile_filter(filter_node, Params())
    except FilterError as exc:
        raise InvalidRequestError(f"filter: {exc.message}") from None
    return Scope(caller.organization_id, filter_node, window)


def _engine(request: Request) -> Any:
    return services_of(request).engine


def _per_request(row: dict[str, Any]) -> dict[str, float]:
    n = int(row["requests"])
    prompt, completion = int(row["prompt"]), int(row["completion"])
    return {
        "average_prompt_tokens_per_response": prompt / n if n else 0.0,
        "average_completion_tokens_per_response": completion / n if n else 0.0,
        "average_total_tokens_per_response": (prompt + completion) / n if n else 0.0,
    }


# name -> (answer type, what the aggregate row becomes, summary)
TOTAL_ROUTES: dict[str, tuple[Any, Callable[[dict[str, Any]], Any], str]] = {
    "totalRequests": (int, lambda row: int(row["value"]), "Requests in the window"),
    "totalCost": (float, lambda row: int(row["value"]) / jm.NANO_USD, "Cost in USD"),
    "averageLatency": (float, lambda row: float(row["value"]), "Average latency, ms"),
    "averageTimeToFirstToken": (
        float,
        lambda row: float(row["value"]),
        "Average time to first token, ms, of requests with one",
    ),
    "averageTokensPerRequest": (TokensPerRequest, _per_request, "Average tokens per request"),
    "totalThreats": (int, lambda row: int(row["value"]), "Requests flagged as threats"),
    "activeUsers": (int, lambda row: int(row["value"]), "Distinct non-empty user ids"),
}


def _add_total_route(name: str) -> None:
    answer, convert, summary = TOTAL_ROUTES[name]

    async def total(request: Request, caller: Reader, body: MetricsFilterBody) -> dict[str, Any]:
        scope = scope_of(caller, body.filter, window_of(body.timeFilter))
        return ok(convert(await jm.aggregate(_engine(request), scope, jm.TOTALS[name])))

    router.add_api_route(
        f"/v1/metrics/{name}",
        total,
        methods=["POST"],
        response_model=Envelope[answer],  # type: ignore[valid-type]
        summary=summary,
        operation_id=f"metrics_{name}",
    )


def _usd(value: Any) -> float:
    return int(value) / jm.NANO_USD


SERIES_ROUTES: dict[str, tuple[Any, Callable[[Any], Any], str]] = {
    "requestOverTime": (CountAt, int, "Requests per bucket"),
    "costOverTime": (CostAt, _usd, "Cost per bucket, USD"),
    "tokensOverTime": (TokensAt, int, "Prompt and completion tokens per bucket"),
    "detailedTokensOverTime": (DetailedTokensAt, int, "Tokens per bucket, with reasoning, cache"),
    "latencyOverTime": (LatencyAt, float, "Average latency per bucket (batch models left out)"),
    "timeToFirstToken": (TtftAt, float, "Average time to first token per bucket"),
    "usersOverTime": (CountAt, int, "Distinct users per bucket"),
    "threatsOverTime": (CountAt, int, "Threats per bucket"),
    "errorOverTime": (CountAt, int, "Errors (status outside 2xx) per bucket"),
}


def buckets_of(body: MetricsOverTimeBody, window: Window) -> Buckets:
    return Buckets.plan(window, body.dbIncrement, body.timeZoneDifference)


def _add_series_route(name: str) -> None:
    answer, convert, summary = SERIES_ROUTES[name]
    columns = jm.SERIES[name]

    async def over_time(
        request: Request, caller: Reader, body: MetricsOverTimeBody
    ) -> dict[str, Any]:
        window = window_of(body.timeFilter)
        buckets = buckets_of(body, window)
        scope = scope_of(caller, body.filter, window)
        found = {
            row.pop("index"): row
            for row in await jm.per_bucket(_engine(request), scope, buckets, columns)
        }
        zero = dict.fromkeys(columns, 0)
        return ok(
            [
                {
                    "time": buckets.start_of(i),
                    **{k: convert(v) for k, v in found.get(i, zero).items()},
                }
                for i in range(buckets.count)
            ]
        )

    router.add_api_route(
        f"/v1/metrics/{name}",
        over_time,
        methods=["POST"],
        response_model=Envelope[list[answer]],  # type: ignore[valid-type]
        summary=summary,
        operation_id=f"metrics_{name}",
    )


for _name in TOTAL_ROUTES:
    _add_total_route(_name)
for _name in SERIES_ROUTES:
    _add_series_route(_name)


async def _grouped_series(
    request: Request, caller: Principal, body: MetricsOverTimeBody, name: str
) -> list[dict[str, Any]]:
    column, columns = jm.GROUPED_SERIES[name]
    window = window_of(body.timeFilter)
    buckets = buckets_of(body, window)
    scope = scope_of(caller, body.filter, window)
    rows = await jm.per_bucket(_engine(request), scope, buckets, columns, group=column)
    for row in rows:
        row["time"] = buckets.start_of(row.pop("index"))
    return rows


@router.post("/v1/metrics/modelUsageOverTime", response_model=Envelope[list[ModelUsageAt]])
async def model_usage_over_time(
    request: Request, caller: Reader, body: MetricsOverTimeBody
) -> dict[str, Any]:
    """Requests and tokens per bucket and model; only (bucket, model) pairs with requests."""
    rows = await _grouped_series(request, caller, body, "modelUsageOverTime")
    for row in rows:
        row["model"] = row.pop("group") or "unknown"
    return ok(rows)


@router.post("/v1/metrics/requestStatusOverTime", response_model=Envelope[list[StatusCountAt]])
async def request_status_over_time(
    request: Request, caller: Reader, body: MetricsOverTimeBody
) -> dict[str, Any]:
    """Requests per bucket and HTTP status; only (bucket, status) pairs with requests."""
    rows = await _grouped_series(request, caller, body, "requestStatusOverTime")
    for row in rows:
        row["status"] = int(row.pop("group"))
    return ok(rows)


@router.post("/v1/metrics/quantiles", response_model=Envelope[list[QuantilesAt]])
async def quantiles(request: Request, caller: Reader, body: QuantilesBody) -> dict[str, Any]:
    """P75, P90, P95 and P99 of latency or tokens per bucket (exact; 0 where no value)."""
    window = window_of(body.timeFilter)
    buckets = buckets_of(body, window)
    scope = scope_of(caller, body.filter, window)
    columns = jm.quantile_columns(body.metric)
    rows = await jm.per_bucket(_engine(request), scope, buckets, columns)
    found = {row["index"]: row["levels"] for row in rows if int(row["n"])}
    names = ("p75", "p90", "p95", "p99")
    return ok(
        [
            {"time": buckets.start_of(i), **dict(zip(names, found.get(i) or [0] * 4, strict=True))}
            for i in range(buckets.count)
        ]
    )


@router.post("/v1/metrics/requestCount", response_model=Envelope[int])
async def request_count(request: Request, caller: Reader, body: RequestCountBody) -> dict[str, Any]:
    """Requests matching the filter over all time; with isCached, those sent with caching on."""
    scope = scope_of(caller, body.filter, ALL_TIME)
    condition = "countIf(cache_enabled)" if body.isCached else "count()"
    row = await jm.aggregate(_engine(request), scope, {"value": condition})
    return ok(int(row["value"]))


@router.post("/v1/metrics/models", response_model=Envelope[list[ModelMetric]])
async def model_metrics(request: Request, caller: Reader, body: GroupsBody) -> dict[str, Any]:
    """Requests, tokens and cost per model, most requests first; `offset`/`limit` page."""
    scope = scope_of(caller, body.filter, window_of(body.timeFilter))
    columns = {
        "total_requests": "count()",
        "total_completion_tokens": "sum(ifNull(completion_tokens, 0))",
        "total_prompt_token": "sum(ifNull(prompt_tokens, 0))",
        "cost": "sum(cost)",
    }
    rows = await jm.ranked_groups(
        _engine(request), scope, "model", columns, "m_total_requests", body.limit, body.offset
    )
    return ok(
        [
            {
                "model": row["key"],
                "total_requests": int(row["total_requests"]),
                "total_completion_tokens": int(row["total_completion_tokens"]),
                "total_prompt_token": int(row["total_prompt_token"]),
                "total_tokens": int(row["total_prompt_token"])
                + int(row["total_completion_tokens"]),
                "cost": _usd(row["cost"]),
            }
            for row in rows
        ]
    )


@router.post("/v1/metrics/country", response_model=Envelope[list[CountryData]])
async def country_metrics(request: Request, caller: Reader, body: GroupsBody) -> dict[str, Any]:
    """Requests per country code (requests without one left out), most first."""
    scope = scope_of(caller, body.filter, window_of(body.timeFilter))
    rows = await jm.ranked_groups(
        _engine(request),
        scope,
        "assumeNotNull(country_code)",
        {"total_requests": "count()"},
        "m_total_requests",
        body.limit,
        body.offset,
        where="ifNull(country_code, '') != ''",
    )
    return ok([{"country": r["key"], "total_requests": int(r["total_requests"])} for r in rows])
