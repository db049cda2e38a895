"""Evaluators wired together: the stores, the sandbox, the pipeline listener and the worker."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heliograph.config import Settings
from heliograph.evaluators.definition import EvaluatorInfo
from heliograph.evaluators.experiments import experiments_of
from heliograph.evaluators.jobs import JobQueue
from heliograph.evaluators.judge import JudgeLink
from heliograph.evaluators.online import OnlineDispatcher
from heliograph.evaluators.online_config import OnlineConfig
from heliograph.evaluators.online_store import OnlineStore
from heliograph.evaluators.pacing import Pacer
from heliograph.evaluators.runner import Runner
from heliograph.evaluators.sandbox import PythonSandbox, SandboxLimits
from heliograph.evaluators.stats import evaluator_stats
from heliograph.evaluators.store import EvaluatorStore
from heliograph.evaluators.worker import EvaluationWorker
from heliograph.pipeline.writer import LogPipeline
from heliograph.store.engine import ClickHouseEngine


def sandbox_of(settings: Settings) -> PythonSandbox | None:
    if not settings.python_evaluators_enabled:
        return None
    limits = SandboxLimits(
        cpu_s=settings.python_evaluator_cpu_s,
        memory_bytes=settings.python_evaluator_memory_mb << 20,
        wall_s=settings.python_evaluator_timeout_s,
        workers=settings.python_evaluator_workers,
    )
    return PythonSandbox(limits, settings.data_dir)


class Evaluators:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        pipeline: LogPipeline,
        engine: ClickHouseEngine,
    ) -> None:
        self._sessions, self._engine = sessions, engine
        self.store = EvaluatorStore(sessions)
        self.online = OnlineStore(sessions)
        self.queue = JobQueue(sessions, settings.online_evaluation_max_queued)
        # Connected to the gateway by the app (app.py), which is built after the services.
        self.judge_link = JudgeLink()
        self.runner = Runner(self.judge_link, sandbox_of(settings))
        self.worker = EvaluationWorker(
            self.queue,
            self.runner,
            engine,
            self._refresh,
            concurrency=settings.online_evaluation_concurrency,
            timeout_s=settings.online_evaluation_timeout_s,
            pacer=Pacer(lambda: self.dispatcher.traffic, settings.online_evaluation_busy_share),
        )
        self.dispatcher = OnlineDispatcher(self.online, self.queue, self.worker.wake)
        # Loaded before the pipeline starts: its start-up replay already calls the listener.
        self.dispatcher.refresh()
        pipeline.add_listener(self.dispatcher)

    def _refresh(self) -> None:
        self.dispatcher.refresh()

    async def start(self) -> None:
        await self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()

    async def attach(self, organization_id: str, evaluator_id: str, config: OnlineConfig) -> bool:
        attached = await asyncio.to_thread(
            self.online.attach, organization_id, evaluator_id, config
        )
        if attached:
            await asyncio.to_thread(self.dispatcher.refresh)
        return attached

    async def detach(self, organization_id: str, evaluator_id: str, online_id: str) -> bool:
        detached = await asyncio.to_thread(
            self.online.detach, organization_id, evaluator_id, online_id
        )
        if detached:
            await asyncio.to_thread(self.dispatcher.refresh)
        return detached

    async def delete(self, organization_id: str, evaluator_id: str) -> bool:
        deleted = await asyncio.to_thread(self.store.delete, organization_id, evaluator_id)
        if deleted:
            await asyncio.to_thread(self.dispatcher.refresh)
        return deleted

    async def stats(self, evaluator: EvaluatorInfo) -> dict[str, Any]:
        """Helicone's evaluator stats, from the scores under the evaluator's score name."""
        return await evaluator_stats(self._engine, evaluator.organization_id, evaluator.score_name)

    async def experiments(self, evaluator: EvaluatorInfo) -> list[dict[str, Any]]:
        """The experiments the evaluator scores, newest first."""
        return await asyncio.to_thread(
            experiments_of, self._sessions, evaluator.organization_id, evaluator.id
        )
