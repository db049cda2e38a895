"""One logged call's `request_response_rmt` row as it travels from the gateway to the store.

The pipeline builds it (pipeline/rows.py), spools its `line` and hands the value on to the
store and to listeners, which read the ids and the cost from its fields instead of
parsing the JSON again. It lives in the store, the lower layer, so that both the store
and the pipeline can import it.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

# (organization id, request id), lower case.
RequestKey = tuple[str, str]
# In every line: true when Heliograph made the request id up for the call, so that no
# earlier row can hold it and the log sink need not look it up (store/relogged.py). Kept
# in the line so that a row read back from the spool still knows it; the store ignores it.
NEW_ID_FIELD = "heliograph_new_id"


@dataclass(frozen=True, slots=True)
class LogRow:
    """A built row: the JSON line stored (and spooled) as it is, and what others read of it."""

    line: bytes  # one JSON object, newline-terminated
    request_id: str  # "" for a line read back without one (see from_line)
    organization_id: str
    id_is_new: bool  # Heliograph made the request id up: no other row can hold it
    cost_nano: int  # nano-USD, as in the line's `cost`

    @property
    def key(self) -> RequestKey | None:
        """The row's (organization, request id), lower case; None when it lacks either."""
        if not self.request_id or not self.organization_id:
            return None
        return self.organization_id.lower(), self.request_id.lower()

    @classmethod
    def from_line(cls, line: bytes) -> LogRow:
        """The row of a line read back from disk (a spool segment), parsed whole.

        Only RowBuilder writes the spool, but a line without both ids (or not JSON) is kept
        as a row with empty ids rather than dropped: it goes to the store like any other,
        which takes it or refuses it (then it is set aside, pipeline/isolate.py).
        """
        try:
            fields = orjson.loads(line)
        except orjson.JSONDecodeError:
            fields = None
        if not isinstance(fields, dict):
            return cls(line, "", "", False, 0)
        request_id, organization_id = fields.get("request_id"), fields.get("organization_id")
        cost = fields.get("cost")
        return cls(
            line,
            request_id if isinstance(request_id, str) else "",
            organization_id if isinstance(organization_id, str) else "",
            fields.get(NEW_ID_FIELD) is True,
            cost if isinstance(cost, int) and not isinstance(cost, bool) else 0,
        )
