"""JSON schemas of the timestamps the API parses (`store.filters.parse_timestamp`).

A timestamp is an ISO 8601 string (`2024-01-01T00:00:00Z`, with an offset, or naive = UTC,
`T` or a space between date and time) or a number of epoch milliseconds. The pattern lists
the forms that always parse: real calendar dates (29 February left out), years 0001-9999,
and an offset only where moving to UTC stays within those years.
"""

from __future__ import annotations

from heliograph.api.schemas.components import JsonSchema

_ANY_YEAR = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_INNER_YEAR = (
    "(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
)
_MONTH_DAY = "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
_TIME = "[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
_OFFSET = "[+-]([01][0-9]|2[0-3]):[0-5][0-9]"
ISO_PATTERN = f"^({_ANY_YEAR}-{_MONTH_DAY}({_TIME}Z?)?|{_INNER_YEAR}-{_MONTH_DAY}{_TIME}{_OFFSET})$"
# datetime's range, a day inside each end (epoch milliseconds).
EPOCH_MS_MIN = -62_135_596_800_000 + 86_400_000
EPOCH_MS_MAX = 253_402_300_799_999 - 86_400_000

ISO_TIMESTAMP: JsonSchema = {
    "type": "string",
    "pattern": ISO_PATTERN,
    "description": "ISO 8601, e.g. 2024-01-01T00:00:00Z (no offset means UTC)",
    "examples": ["2024-01-01T00:00:00Z"],
}
EPOCH_MS: JsonSchema = {
    "type": "number",
    "minimum": EPOCH_MS_MIN,
    "maximum": EPOCH_MS_MAX,
    "description": "Milliseconds since 1970-01-01T00:00:00Z",
}
TIMESTAMP: JsonSchema = {"anyOf": [ISO_TIMESTAMP, EPOCH_MS]}
