"""REST: provider status (Helicone's `/v1/public/status/provider`), from the caller's traffic.

Helicone computes it over every customer's traffic; Heliograph's logged data belongs to
organizations, so these routes need a key (as Jawn's do) and count only the caller's own
requests: one organization never learns anything of another's traffic. docs/gateway.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Answer, Envelope, ok
from heliograph.api.services import services_of
from heliograph.provider_specs import SPECS
from heliograph.store.provider_status import frame_buckets, provider_series, provider_totals

router = APIRouter(tags=["Status"])
TimeFrame = Literal["24h", "7d", "30d"]


class StatusPoint(Answer):
    timestamp: datetime = Field(description="Start of the bucket (UTC)")
    errorCount: int = Field(description="5xx answers and calls without an answer")
    requestCount: int
    averageLatency: float = Field(description="ms; 0 without requests")
    averageLatencyPerCompletionToken: float


class StatusMetrics(Answer):
    totalRequests: int = Field(description="Requests of the last 24 hours")
    requestCountPrevious24h: int
    requestVolumeChange: float = Field(description="% change from the 24 hours before")
    errorRate24h: float = Field(description="% of requests: 5xx or no answer")
    errorRatePrevious24h: float
    errorRateChange: float = Field(description="Percentage points")
    averageLatency: float = Field(description="ms, last 24 hours")
    averageLatencyPerToken: float = Field(description="ms per completion token")
    latencyChange: float = Field(description="%")
    latencyPerTokenChange: float = Field(description="%")
    recentRequestCount: int = Field(description="Requests of the last 10 minutes")
    recentErrorCount: int
    timeSeriesData: list[StatusPoint]


class ProviderStatus(Answer):
    providerName: str = Field(description="Helicone's provider name: OPENAI, ANTHROPIC, ...")
    metrics: StatusMetrics


def _change(current: float | None, previous: float | None) -> float:
    if not current or not previous:
        return 0.0
    return (current - previous) / previous * 100


def _rate(row: dict[str, Any], period: str) -> float:
    n = int(row[f"{period}_n"])
    return int(row[f"{period}_errors"]) / n * 100 if n else 0.0


def _metrics(row: dict[str, Any] | None, series: list[dict[str, Any]]) -> dict[str, Any]:
    row = row or {}
    get = row.get
    return {
        "totalRequests": int(get("cur_n") or 0),
        "requestCountPrevious24h": int(get("prev_n") or 0),
        "requestVolumeChange": _change(get("cur_n"), get("prev_n")),
        "errorRate24h": _rate(row, "cur") if row else 0.0,
        "errorRatePrevious24h": _rate(row, "prev") if row else 0.0,
        "errorRateChange": (_rate(row, "cur") - _rate(row, "prev")) if row else 0.0,
        "averageLatency": float(get("cur_latency") or 0),
        "averageLatencyPerToken": float(get("cur_per_token") or 0),
        "latencyChange": _change(get("cur_latency"), get("prev_latency")),
        "latencyPerTokenChange": _change(get("cur_per_token"), get("prev_per_token")),
        "recentRequestCount": int(get("recent_n") or 0),
        "recentErrorCount": int(get("recent_errors") or 0),
        "timeSeriesData": series,
    }


async def _series(request: Request, org: str, provider: str, frame: str, now: datetime) -> Any:
    buckets = frame_buckets(frame, now)
    found = await provider_series(services_of(request).engine, org, provider, buckets, now)
    empty = {"n": 0, "errors": 0, "latency": None, "per_token": None}
    return [
        {
            "timestamp": buckets.start_of(i),
            "errorCount": int(point["errors"]),
            "requestCount": int(point["n"]),
            "averageLatency": float(point["latency"] or 0),
            "averageLatencyPerCompletionToken": float(point["per_token"] or 0),
        }
        for i in range(buckets.count)
        for point in (found.get(i, empty),)
    ]


@router.get("/v1/public/status/provider", response_model=Envelope[list[ProviderStatus]])
async def all_provider_status(request: Request, caller: Reader) -> dict[str, Any]:
    """Every known provider's status over the last 24 hours, from the caller's requests."""
    now = datetime.now(UTC)
    org = caller.organization_id
    totals = await provider_totals(services_of(request).engine, org, now)
    answer = []
    for name in [spec.helicone_name for spec in SPECS]:
        series = await _series(request, org, name, "24h", now) if name in totals else []
        answer.append({"providerName": name, "metrics": _metrics(totals.get(name), series)})
    return ok(answer)


@router.get("/v1/public/status/provider/{provider}", response_model=Envelope[ProviderStatus])
async def provider_status(
    request: Request,
    caller: Reader,
    provider: Annotated[str, Path(min_length=1, max_length=64, description="Any case")],
    timeFrame: Annotated[TimeFrame, Query(description="The series' span")] = "24h",
) -> dict[str, Any]:
    """One provider's status, its series over `timeFrame`, from the caller's requests."""
    now = datetime.now(UTC)
    name = provider.upper()
    totals = await provider_totals(services_of(request).engine, caller.organization_id, now)
    series = await _series(request, caller.organization_id, name, timeFrame, now)
    return ok({"providerName": name, "metrics": _metrics(totals.get(name), series)})
