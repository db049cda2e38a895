"""Time windows and buckets for metrics: which increment, where buckets start, how many.

A bucket is identified by its index from the first bucket, computed in ClickHouse as
`intDiv(epoch seconds - first, step)`; the bucket's start is `first + index * step`.
Buckets are aligned in the caller's local time: `timezoneDifference` is minutes to subtract
from UTC to get local time (JavaScript's `Date.getTimezoneOffset()`, as Helicone takes it),
so day buckets start at local midnight. A fixed offset: no daylight-saving changes inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from heliograph.errors import InvalidRequestError
from heliograph.store.params import Params

INCREMENT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
INCREMENT_ALIASES = {"min": "minute"}  # Helicone's `dbIncrement` spelling
MINUTE_UP_TO = timedelta(hours=2)  # automatic choice: ranges up to this get minute buckets,
HOUR_UP_TO = timedelta(days=7)  # up to this hour buckets, longer ones day buckets
MAX_BUCKETS = 5000
MAX_TIMEZONE_MINUTES = 24 * 60


@dataclass(frozen=True)
class Window:
    """A half-open time range [start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidRequestError("timeFilter: end must not be before start")

    def sql(self, params: Params) -> str:
        start = params.add(sql_time(self.start), "DateTime64(3, 'UTC')")
        end = params.add(sql_time(self.end), "DateTime64(3, 'UTC')")
        return f"request_created_at >= {start} AND request_created_at < {end}"


def sql_time(moment: datetime) -> str:
    """A moment as a DateTime64(3, 'UTC') parameter's text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def normalize_increment(increment: str | None) -> str | None:
    """`minute`, `hour` or `day` (`min` accepted), or None for the automatic choice."""
    if increment is None:
        return None
    name = INCREMENT_ALIASES.get(increment, increment)
    if name not in INCREMENT_SECONDS:
        raise InvalidRequestError(
            f"increment: {increment!r} is not one of minute, hour, day (or leave it out)"
        )
    return name


def choose_increment(window: Window) -> str:
    # Compared to the minute: a range a client measured from two clock reads ("now" minus
    # 7 days, then "now" again) is a few ms longer than 7 days and must not flip to days.
    span = timedelta(minutes=round((window.end - window.start).total_seconds() / 60))
    if span <= MINUTE_UP_TO:
        return "minute"
    return "hour" if span <= HOUR_UP_TO else "day"


@dataclass(frozen=True)
class Buckets:
    increment: str
    step: int  # seconds
    first: int  # epoch seconds of the first bucket's start (at or before the window start)
    count: int

    @classmethod
    def plan(cls, window: Window, increment: str | None, timezone_difference: int) -> Buckets:
        """Buckets covering the window; refuses more than MAX_BUCKETS."""
        if abs(timezone_difference) > MAX_TIMEZONE_MINUTES:
            raise InvalidRequestError(
                f"timezoneDifference: must be between -{MAX_TIMEZONE_MINUTES} and "
                f"{MAX_TIMEZONE_MINUTES} minutes"
            )
        name = normalize_increment(increment) or choose_increment(window)
        step = INCREMENT_SECONDS[name]
        shift = timezone_difference * 60
        start_s = math.floor(window.start.timestamp())
        first = (start_s - shift) // step * step + shift
        end_ms = math.ceil(window.end.timestamp() * 1000)
        count = -(-(end_ms - first * 1000) // (step * 1000))
        if count > MAX_BUCKETS:
            raise InvalidRequestError(
                f"increment: {name} buckets over this timeFilter would be {count}; the limit "
                f"is {MAX_BUCKETS}. Choose a larger increment or a shorter time range"
            )
        return cls(name, step, first, count)

    def index_sql(self, params: Params) -> str:
        first = params.add(self.first, "Int64")
        step = params.add(self.step, "Int64")
        return f"intDiv(toInt64(toUnixTimestamp(request_created_at)) - {first}, {step})"

    def start_of(self, index: int) -> datetime:
        return datetime.fromtimestamp(self.first + index * self.step, UTC)
