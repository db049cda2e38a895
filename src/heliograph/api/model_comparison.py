"""REST: Helicone's model comparison (`POST /v1/public/compare/models`), over the caller's
own requests of the last 30 days; a key is required, as in Jawn, and one organization's
numbers never include another's. Definitions: store/model_comparison.py, docs/gateway.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Answer, Envelope, ok
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.store import model_comparison as mc

router = APIRouter(tags=["Comparison"])
MAX_MODELS = 20
MAX_NAMES = 50


class ModelToCompare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent: str = Field(min_length=1, max_length=200, description="The name to answer with")
    names: list[str] = Field(min_length=1, max_length=MAX_NAMES, description="Its model names")
    provider: str = Field(min_length=1, max_length=64, description="OPENAI, anthropic, ...")


class MetricStats(Answer):
    average: float
    median: float
    min: float
    max: float
    p90: float
    p95: float
    p99: float


class TokenMetricStats(MetricStats):
    medianPer1000Tokens: float


class Point(Answer):
    timestamp: datetime
    value: float


class CountryMedian(Answer):
    countryCode: str
    median: float


class Costs(Answer):
    prompt_token: float = Field(description="USD per token (0: not in the price catalog)")
    completion_token: float


class Feedback(Answer):
    positivePercentage: float = Field(description="A fraction of the requests with feedback")
    negativePercentage: float


class RequestStatus(Answer):
    successRate: float
    errorRate: float = Field(description="5xx answers and calls without an answer, a fraction")


class TimeSeries(Answer):
    latency: list[Point]
    ttft: list[Point]
    successRate: list[Point]
    errorRate: list[Point]
    positivePercentage: list[Point]
    negativePercentage: list[Point]
    positiveFeedbackCount: list[Point]
    negativeFeedbackCount: list[Point]


class ComparedModel(Answer):
    model: str
    provider: str
    latency: TokenMetricStats = Field(description="ms per 1,000 completion tokens")
    ttft: MetricStats = Field(description="ms")
    costs: Costs
    feedback: Feedback
    geographicLatency: list[CountryMedian]
    geographicTtft: list[CountryMedian]
    requestStatus: RequestStatus
    timeSeriesData: TimeSeries


def _stats(row: dict[str, Any], name: str) -> dict[str, float]:
    if not int(row[f"m_{name}_n"]):
        return dict.fromkeys(("average", "median", "min", "max", "p90", "p95", "p99"), 0.0)
    median, p90, p95, p99 = (float(q) for q in row[f"m_{name}_q"])
    return {
        "average": float(row[f"m_{name}_avg"]),
        "median": median,
        "min": float(row[f"m_{name}_min"]),
        "max": float(row[f"m_{name}_max"]),
        "p90": p90,
        "p95": p95,
        "p99": p99,
    }


def _share(part: Any, whole: Any) -> float:
    return int(part) / int(whole) if int(whole) else 0.0


def _daily(found: dict[int, dict[str, Any]], buckets: Any) -> dict[str, list[dict[str, Any]]]:
    values: dict[str, Any] = {
        "latency": lambda d: float(d["m_latency"]),
        "ttft": lambda d: float(d["m_ttft"]),
        "successRate": lambda d: 1 - _share(d["m_errors"], d["m_n"]),
        "errorRate": lambda d: _share(d["m_errors"], d["m_n"]),
        "positivePercentage": lambda d: _share(d["m_positive"], d["m_feedback"]),
        "negativePercentage": lambda d: _share(d["m_negative"], d["m_feedback"]),
        "positiveFeedbackCount": lambda d: int(d["m_positive"]),
        "negativeFeedbackCount": lambda d: int(d["m_negative"]),
    }
    return {
        name: [
            {"timestamp": buckets.start_of(i), "value": value(found[i]) if i in found else 0}
            for i in range(buckets.count)
        ]
        for name, value in values.items()
    }


async def _compare(request: Request, org: str, wanted: ModelToCompare, now: datetime) -> Any:
    services = services_of(request)
    engine, names, provider = services.engine, wanted.names, wanted.provider
    row = await mc.model_summary(engine, org, names, provider, now)
    if not int(row["m_n"]):
        raise NotFoundError(f"No data found for model {wanted.parent} in the last 30 days")
    countries = await mc.by_country(engine, org, names, provider, now)
    buckets = mc.day_buckets(now)
    days = await mc.per_day(engine, org, names, provider, now, buckets)
    price = services.catalog.price_for(provider.upper(), names[0])
    latency = _stats(row, "latency")
    return {
        "model": wanted.parent,
        "provider": provider,
        "latency": {**latency, "medianPer1000Tokens": latency["median"]},
        "ttft": _stats(row, "ttft"),
        "costs": {
            "prompt_token": price.input if price else 0.0,
            "completion_token": price.output if price else 0.0,
        },
        "feedback": {
            "positivePercentage": _share(row["m_positive"], row["m_feedback"]),
            "negativePercentage": _share(row["m_negative"], row["m_feedback"]),
        },
        "geographicLatency": [
            {"countryCode": c["g_key"], "median": float(c["m_latency"])}
            for c in countries
            if int(c["m_latency_n"])
        ],
        "geographicTtft": [
            {"countryCode": c["g_key"], "median": float(c["m_ttft"])}
            for c in countries
            if int(c["m_ttft_n"])
        ],
        "requestStatus": {
            "successRate": 1 - _share(row["m_errors"], row["m_n"]),
            "errorRate": _share(row["m_errors"], row["m_n"]),
        },
        "timeSeriesData": _daily(days, buckets),
    }


@router.post("/v1/public/compare/models", response_model=Envelope[list[ComparedModel]])
async def compare_models(
    request: Request,
    caller: Reader,
    models: Annotated[list[ModelToCompare], Body(min_length=1, max_length=MAX_MODELS)],
) -> dict[str, Any]:
    """Latency, TTFT, cost, feedback and errors of each model over the last 30 days; a 404
    names the first model without requests (Jawn answers an error for the whole list)."""
    now = datetime.now(UTC)
    return ok([await _compare(request, caller.organization_id, m, now) for m in models])
