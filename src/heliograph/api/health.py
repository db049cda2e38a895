"""Liveness and a glance at the log pipeline: 503 while log rows are not being stored."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

import heliograph
from heliograph.api.schemas.gateway import Health
from heliograph.api.services import services_of
from heliograph.evaluators.service import Evaluators
from heliograph.prompts.record_log import RecordLog

router = APIRouter()


def _records(record_log: RecordLog[Any]) -> dict[str, int]:
    return {
        "pending": record_log.pending,
        "dropped": record_log.dropped,
        "lost": record_log.lost,
    }


def _online(evaluators: Evaluators) -> dict[str, Any]:
    stats = evaluators.worker.stats
    sandbox = evaluators.runner.sandbox
    return {
        "pending": stats.pending,
        "done": stats.done,
        "failed": stats.failed,
        "retried": stats.retried,
        "lost": evaluators.dispatcher.queue_failures,
        "dropped": evaluators.dispatcher.dropped,
        "python_sandbox": "off" if sandbox is None else sandbox.isolation,
    }


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def healthz(request: Request) -> Any:
    services = services_of(request)
    pipeline = services.pipeline
    stats = pipeline.stats
    problem = pipeline.problem()
    workers = None
    if services.worker_reports is not None:
        workers = await asyncio.to_thread(services.worker_reports.read)
        failing = [f"gateway worker {w['worker']}: {w['problem']}" for w in workers if w["problem"]]
        problem = "; ".join(([problem] if problem else []) + failing) or None
    ingest = services.stream_ingest
    if ingest is not None and ingest.problem is not None:
        problem = "; ".join(p for p in (problem, ingest.problem) if p)
    body: dict[str, Any] = {
        "status": "ok" if problem is None else "degraded",
        "reason": problem,
        "version": heliograph.__version__,
        "log_pipeline": {
            "submitted": stats.submitted,
            "stored": stats.stored,
            "replayed": stats.replayed,
            "rejected": stats.rejected,
            "backlog_segments": pipeline.backlog_segments,
            "backlog_rows": pipeline.backlog_rows,
            "store_level": services.engine.priority.level,
            "held_rows": pipeline.held_rows,
            "lost_rows": stats.lost,
            "refused_calls": stats.refused_calls,
            "spool_write_failures": pipeline.spool_write_failures,
            "store_failures": stats.store_failures,
        },
        # Calls whose model has no price: logged with cost 0, counted here per provider/model.
        "unknown_cost_models": dict(services.rows.stats.unknown_cost_models),
        "legacy_prompt_records": _records(services.prompts.legacy.log),
        "online_evaluation": _online(services.evaluators),
    }
    if workers is not None:
        body["gateway_workers"] = workers
    if ingest is not None:
        body["log_stream"] = {
            "taken": ingest.taken,
            "in_stream": ingest.in_stream,
            "problem": ingest.problem,
        }
    if problem is None:
        return body
    return JSONResponse(Health.model_validate(body).model_dump(mode="json"), status_code=503)
