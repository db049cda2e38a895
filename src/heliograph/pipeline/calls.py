"""Recording a finished call: build its row and hand it to the pipeline, never raising."""

from __future__ import annotations

import logging

from heliograph.pipeline.rows import LoggedCall, RowBuilder
from heliograph.pipeline.writer import LogPipeline
from heliograph.store.log_row import LogRow

log = logging.getLogger("heliograph.pipeline")


class CallLog:
    def __init__(self, pipeline: LogPipeline, rows: RowBuilder) -> None:
        self._pipeline = pipeline
        self._rows = rows

    def record(self, call: LoggedCall) -> LogRow | None:
        """Log the call; returns its row (whose cost `u=cents` rate limits charge), or None
        when it could not be built."""
        row = None
        try:
            row = self._rows.build(call)
            self._pipeline.submit(row)
        except Exception:  # a logging bug must never break the caller's response
            log.exception("could not log request %s", call.request_id)
        return row
