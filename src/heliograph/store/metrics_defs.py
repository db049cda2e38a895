"""What each metric is: the ClickHouse aggregates it needs and how a result row becomes it.

An aggregate renders three ways: plain (`sum(cost) AS m_cost`), as a state
(`sumState(cost) AS s_cost`) and as the merge of states (`sumMerge(s_cost) AS m_cost`), so
a query can aggregate rows once per fine group and merge those states into coarser ones.
Aliases carry an `m_` / `s_` prefix: ClickHouse lets WHERE see SELECT aliases, so
`AS prompt_tokens` would capture a filter on the column of that name.

Definitions (docs/metrics.md): an error is a status outside 200-299 (0 = no response);
percentiles are `quantilesExact`, the value at index floor(level x n) of the sorted values;
TTFT is taken over rows with a first-token time that are not cache hits (otherwise only
streams have one); distinct users leave out requests without a user id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

NANO_USD = 1_000_000_000
QUANTILES = (0.5, 0.9, 0.99)
_LEVELS = ", ".join(str(q) for q in QUANTILES)
_ZERO_UUID = "toUUID('00000000-0000-0000-0000-000000000000')"
_HIT = f"cache_reference_id != {_ZERO_UUID}"
_NOT_HIT = f"cache_reference_id = {_ZERO_UUID}"


@dataclass(frozen=True)
class Aggregate:
    name: str  # the alias without its prefix
    function: str
    arguments: str
    parameters: str = ""  # of parametric functions such as quantilesExact(levels)

    def _call(self, suffix: str, arguments: str) -> str:
        parameters = f"({self.parameters})" if self.parameters else ""
        return f"{self.function}{suffix}{parameters}({arguments})"

    def plain(self) -> str:
        return f"{self._call('', self.arguments)} AS m_{self.name}"

    def state(self) -> str:
        return f"{self._call('State', self.arguments)} AS s_{self.name}"

    def merge(self) -> str:
        return f"{self._call('Merge', f's_{self.name}')} AS m_{self.name}"


AGGREGATES = {
    a.name: a
    for a in (
        Aggregate("requests", "count", ""),
        Aggregate("errors", "countIf", "status < 200 OR status > 299"),
        Aggregate("cost", "sum", "cost"),
        Aggregate("prompt_tokens", "sum", "ifNull(prompt_tokens, 0)"),
        Aggregate("completion_tokens", "sum", "ifNull(completion_tokens, 0)"),
        Aggregate("latency_n", "count", "latency"),
        Aggregate("latency", "quantilesExact", "latency", _LEVELS),
        Aggregate("ttft_n", "countIf", f"time_to_first_token IS NOT NULL AND {_NOT_HIT}"),
        Aggregate("ttft", "quantilesExactIf", f"time_to_first_token, {_NOT_HIT}", _LEVELS),
        Aggregate("cache_hits", "countIf", _HIT),
        Aggregate("cache_saved", "sum", "cache_saved_cost"),
        Aggregate("users", "uniqExactIf", "user_id, user_id != ''"),
        Aggregate("rate_limited", "countIf", "rate_limited"),
    )
}
# A row of no requests, for buckets without any.
EMPTY_ROW: dict[str, Any] = {
    f"m_{name}": [] if a.function.startswith("quantiles") else 0 for name, a in AGGREGATES.items()
}

MetricName = Literal[
    "request_count",
    "error_count",
    "error_rate",
    "total_cost",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "latency_p50",
    "latency_p90",
    "latency_p99",
    "ttft_p50",
    "ttft_p90",
    "ttft_p99",
    "cache_hits",
    "cache_hit_rate",
    "cache_savings",
    "distinct_users",
    "rate_limited_count",
]
METRIC_NAMES: tuple[str, ...] = get_args(MetricName)

Row = dict[str, Any]


@dataclass(frozen=True)
class Metric:
    needs: tuple[str, ...]  # aggregate names
    value: Callable[[Row], Any]
    sort_sql: str  # what ORDER BY ranks groups on; NULL (no samples) sorts last


def _int(name: str) -> Metric:
    return Metric((name,), lambda row: int(row[f"m_{name}"]), f"m_{name}")


def _usd(name: str) -> Metric:
    return Metric((name,), lambda row: int(row[f"m_{name}"]) / NANO_USD, f"m_{name}")


def _share(part: str) -> Metric:
    def value(row: Row) -> float:
        total = int(row["m_requests"])
        return int(row[f"m_{part}"]) / total if total else 0.0

    return Metric((part, "requests"), value, f"m_{part} / m_requests")


def _quantile(name: str, index: int) -> Metric:
    def value(row: Row) -> float | None:
        return float(row[f"m_{name}"][index]) if int(row[f"m_{name}_n"]) else None

    sort = f"if(m_{name}_n = 0, NULL, m_{name}[{index + 1}])"
    return Metric((f"{name}_n", name), value, sort)


METRICS: dict[str, Metric] = {
    "request_count": _int("requests"),
    "error_count": _int("errors"),
    "error_rate": _share("errors"),
    "total_cost": _usd("cost"),
    "prompt_tokens": _int("prompt_tokens"),
    "completion_tokens": _int("completion_tokens"),
    "total_tokens": Metric(
        ("prompt_tokens", "completion_tokens"),
        lambda row: int(row["m_prompt_tokens"]) + int(row["m_completion_tokens"]),
        "m_prompt_tokens + m_completion_tokens",
    ),
    **{
        f"{name}_p{round(q * 100)}": _quantile(name, i)
        for name in ("latency", "ttft")
        for i, q in enumerate(QUANTILES)
    },
    "cache_hits": _int("cache_hits"),
    "cache_hit_rate": _share("cache_hits"),
    "cache_savings": _usd("cache_saved"),
    "distinct_users": _int("users"),
    "rate_limited_count": _int("rate_limited"),
}
assert tuple(METRICS) == METRIC_NAMES


def aggregates_for(names: Iterable[str]) -> list[Aggregate]:
    """The aggregates the metrics need, each once, in a stable order."""
    needed = {need for name in names for need in METRICS[name].needs}
    return [a for name, a in AGGREGATES.items() if name in needed]


def to_metrics(row: Row, names: Iterable[str]) -> dict[str, Any]:
    """One aggregate row as the named metrics (USD, rates as fractions, None without samples)."""
    return {name: METRICS[name].value(row) for name in names}
