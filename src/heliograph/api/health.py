"""Liveness and a glance at the log pipeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

import heliograph
from heliograph.api.schemas.gateway import Health

router = APIRouter()


@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> dict[str, Any]:
    services = request.app.state.services
    pipeline = services.pipeline
    stats = pipeline.stats
    return {
        "status": "ok",
        "version": heliograph.__version__,
        "log_pipeline": {
            "submitted": stats.submitted,
            "stored": stats.stored,
            "replayed": stats.replayed,
            "rejected": stats.rejected,
            "backlog_segments": pipeline.backlog_segments,
            "backlog_rows": pipeline.backlog_rows,
            "store_level": services.engine.priority.level,
        },
        # Calls whose model has no price: logged with cost 0, counted here per provider/model.
        "unknown_cost_models": dict(services.rows.stats.unknown_cost_models),
    }
