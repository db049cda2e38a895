"""Measuring one alert rule over its time window in `request_response_rmt`.

As Helicone's alert store does: error rate is the share of 4xx/5xx responses in percent;
other metrics aggregate one column (sum by default). Only the rule's organization is read,
newest row versions only (store/newest.py), every value a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from heliograph.alerts.definition import ERROR_RATE, AlertSpec
from heliograph.alerts.filters import to_filter_node
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.filters import compile_filter
from heliograph.store.newest import newest_rows
from heliograph.store.params import Params

METRIC_SQL = {
    "cost": "cost / 1e9",  # stored as USD x 1e9
    "latency": "latency",
    "prompt_tokens": "ifNull(prompt_tokens, 0)",
    "completion_tokens": "ifNull(completion_tokens, 0)",
    "prompt_cache_read_tokens": "prompt_cache_read_tokens",
    "prompt_cache_write_tokens": "prompt_cache_write_tokens",
    "total_tokens": (
        "(ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0) "
        "+ prompt_cache_read_tokens + prompt_cache_write_tokens)"
    ),
    "count": "1",
}
# Helicone sums unless told otherwise; a summed latency means little, so latency averages.
DEFAULT_AGGREGATION = {"latency": "avg"}


@dataclass(frozen=True)
class Measurement:
    value: float
    request_count: int


def _aggregate(spec: AlertSpec, params: Params) -> str:
    column = METRIC_SQL[spec.metric]
    aggregation = spec.aggregation or DEFAULT_AGGREGATION.get(spec.metric, "sum")
    if aggregation == "percentile":
        level = params.add((spec.percentile or 50.0) / 100, "Float64")
        return f"quantile({level})({column})"
    return f"{aggregation}({column})"


async def measure(engine: ClickHouseEngine, organization_id: str, spec: AlertSpec) -> Measurement:
    params = Params()
    value = (
        "countIf(status BETWEEN 400 AND 599)"
        if spec.metric == ERROR_RATE
        else _aggregate(spec, params)
    )
    conditions = [
        "request_created_at >= now64(3) - toIntervalMillisecond("
        f"{params.add(spec.time_window, 'Int64')})",
    ]
    if spec.filter is not None:
        conditions.append(compile_filter(to_filter_node(spec.filter), params, organization_id))
    source = await newest_rows(engine, organization_id, params, " AND ".join(conditions))
    rows = await engine.select(
        f"SELECT count() AS requests, {value} AS value FROM {source}", params.values
    )
    requests = int(rows[0]["requests"]) if rows else 0
    raw = rows[0]["value"] if rows else None
    number = float(raw) if raw is not None else 0.0  # avg/quantile of no rows is NULL
    if spec.metric == ERROR_RATE:
        number = number / requests * 100 if requests else 0.0
    return Measurement(value=number, request_count=requests)
