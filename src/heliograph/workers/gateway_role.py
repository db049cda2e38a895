"""`heliograph gateway`: the gateway role of a deployment over many machines. It serves the
proxy routes and the unified gateway; its log rows go through its own spool to the Redis
log stream (`log_stream`), from which `heliograph serve` processes store them; rate limits
and the cache are Redis's (`redis_url`). Stateless but for its spool: any number can run.
Every other path is answered here with a 404 naming where it is served, but /healthz,
which tells of this gateway's own log pipeline (503 while its rows cannot reach Redis)."""

from __future__ import annotations

import orjson

import heliograph
from heliograph.asgi import Receive, Scope, Send, send_json
from heliograph.config import Settings
from heliograph.pipeline.stream_sink import RedisStreamSink
from heliograph.pipeline.writer import LogPipeline
from heliograph.workers.gateway_worker import GatewayProcessApp, gateway_parts

NOT_HERE = (
    "not served by a gateway (heliograph gateway): the REST API and the dashboard are "
    "served by heliograph serve"
)


class GatewayRoleRest:
    """What a gateway answers besides the calls: its /healthz, and 404 for the rest."""

    def __init__(self, pipeline: LogPipeline) -> None:
        self._pipeline = pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] != "/healthz":
            await send_json(send, 404, orjson.dumps({"data": None, "error": NOT_HERE}))
            return
        pipeline, stats = self._pipeline, self._pipeline.stats
        problem = pipeline.problem()
        body = {
            "status": "ok" if problem is None else "degraded",
            "reason": problem,
            "version": heliograph.__version__,
            "role": "gateway",
            "log_pipeline": {
                "submitted": stats.submitted,
                "sent_to_stream": stats.stored + stats.replayed,
                "backlog_rows": pipeline.backlog_rows,
                "held_rows": pipeline.held_rows,
                "lost_rows": stats.lost,
                "refused_calls": stats.refused_calls,
                "spool_write_failures": pipeline.spool_write_failures,
                "stream_failures": stats.store_failures,
            },
        }
        await send_json(send, 200 if problem is None else 503, orjson.dumps(body))


def gateway_role_app(settings: Settings) -> GatewayProcessApp:
    """The gateway role's app; `log_stream` and `redis_url` are set (the CLI checks)."""
    sink = RedisStreamSink(settings.redis_url, settings.log_stream)
    parts = gateway_parts(settings, settings.data_dir / "spool", sink, None)
    return GatewayProcessApp(parts, GatewayRoleRest(parts.pipeline), [sink.close])
