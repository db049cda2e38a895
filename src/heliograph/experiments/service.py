"""Experiments wired together: the stores, the run queue and runner, and the features an
experiment is made of (prompt versions, dataset rows, evaluators).

Every call is organization-scoped: another organization's experiment answers as a missing
one does. The versions compared are prompt management's own, immutable, versions: an edit
made in an experiment is a new version of its prompt (with a commit message naming the
experiment), so promoting the winner is setting an environment on it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heliograph.config import Settings
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.evaluators.definition import EvaluatorInfo
from heliograph.evaluators.service import Evaluators
from heliograph.experiments.calls import GatewayCall
from heliograph.experiments.cells import CellQueue
from heliograph.experiments.rescoring import Rescoring
from heliograph.experiments.rows import RowStore
from heliograph.experiments.rules import EXPERIMENT_NOT_FOUND, VARIANT_NOT_FOUND, input_keys
from heliograph.experiments.runner import ExperimentRunner
from heliograph.experiments.scoring import score_output
from heliograph.experiments.store import ExperimentInfo, ExperimentStore, VariantInfo
from heliograph.prompts.service import VERSION_NOT_FOUND, Prompts, VersionRequest
from heliograph.prompts.versions import VersionInfo
from heliograph.store.engine import ClickHouseEngine


class GatewayLink:
    """The runner's way into the gateway, connected once the app that serves it is built."""

    def __init__(self) -> None:
        self.target: GatewayCall | None = None

    async def __call__(
        self, organization_id: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self.target is None:
            return 503, b'{"error": {"message": "The gateway is not running yet"}}'
        return await self.target(organization_id, body, headers)


class Experiments:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        engine: ClickHouseEngine,
        prompts: Prompts,
        evaluators: Evaluators,
    ) -> None:
        self.store = ExperimentStore(sessions)
        self.rows = RowStore(sessions)
        self.queue = CellQueue(sessions)
        self.engine = engine
        self.prompts = prompts
        self.evaluators = evaluators
        self.gateway = GatewayLink()
        self.rescoring = Rescoring()
        self.runner = ExperimentRunner(
            self.queue,
            self.gateway,
            engine,
            self._score,
            concurrency=settings.experiment_concurrency,
            timeout_s=settings.experiment_timeout_s,
        )

    async def start(self) -> None:
        await self.runner.start()

    async def stop(self) -> None:
        await self.rescoring.stop()
        await self.runner.stop()

    async def owned(self, org: str, experiment_id: str) -> ExperimentInfo:
        info = await asyncio.to_thread(self.store.get, org, experiment_id)
        if info is None:
            raise NotFoundError(EXPERIMENT_NOT_FOUND)
        return info

    async def version(self, org: str, version_id: str) -> VersionInfo:
        found = await asyncio.to_thread(self.prompts.versions.get, org, version_id)
        if found is None:
            raise NotFoundError(VERSION_NOT_FOUND)
        return found

    async def create(self, org: str, name: str, version_id: str) -> str:
        """A new experiment whose original is the version `version_id`."""
        version = await self.version(org, version_id)
        keys = input_keys(await self.prompts.body_of(version))
        return await asyncio.to_thread(
            self.store.create, org, name, version.prompt_id, version.id, keys
        )

    async def variants(self, org: str, experiment_id: str) -> list[tuple[VariantInfo, Any]]:
        """The versions compared, each with its body."""
        await self.owned(org, experiment_id)
        found = await asyncio.to_thread(self.store.variants, experiment_id)
        bodies = []
        for variant in found:
            version = await asyncio.to_thread(
                self.prompts.versions.get, org, variant.prompt_version_id
            )
            bodies.append(None if version is None else await self.prompts.body_of(version))
        return list(zip(found, bodies, strict=True))

    async def add_version(self, org: str, experiment_id: str, version_id: str, label: str) -> None:
        """Compare a version of the experiment's prompt too."""
        info = await self.owned(org, experiment_id)
        version = await self.version(org, version_id)
        if version.prompt_id != info.prompt_id:
            raise InvalidRequestError("The version is not one of the experiment's prompt")
        keys = input_keys(await self.prompts.body_of(version))
        if not await asyncio.to_thread(
            self.store.add_variant, org, experiment_id, version_id, label, keys
        ):
            raise NotFoundError(EXPERIMENT_NOT_FOUND)

    async def new_version(
        self, org: str, experiment_id: str, parent_id: str, body: dict[str, Any], label: str
    ) -> VersionInfo:
        """An edit to compare: a new version of the prompt after `parent_id`."""
        info = await self.owned(org, experiment_id)
        parent = await self.version(org, parent_id)
        if parent.prompt_id != info.prompt_id:
            raise InvalidRequestError("The parent version is not one of the experiment's prompt")
        message = f"Experiment {info.name}: {label}" if label else f"Experiment {info.name}"
        request = VersionRequest(info.prompt_id, parent_id, False, message[:500], None, body)
        added = await self.prompts.new_version(org, request)
        await self.add_version(org, experiment_id, added.id, label)
        return added

    async def remove_version(self, org: str, experiment_id: str, version_id: str) -> None:
        await self.owned(org, experiment_id)
        if not await asyncio.to_thread(self.store.remove_variant, org, experiment_id, version_id):
            raise NotFoundError(VARIANT_NOT_FOUND)

    async def attached_evaluators(self, org: str, experiment_id: str) -> list[EvaluatorInfo]:
        ids = await asyncio.to_thread(self.store.evaluator_ids, experiment_id)
        found = [await asyncio.to_thread(self.evaluators.store.get, org, i) for i in ids]
        return [info for info in found if info is not None]

    async def _score(self, org: str, experiment_id: str, request_id: str) -> None:
        """Score one output that succeeded with the experiment's evaluators."""
        attached = await self.attached_evaluators(org, experiment_id)
        await score_output(self.evaluators.runner, self.engine, attached, org, request_id)

    async def promote(
        self, org: str, experiment_id: str, version_id: str, environment: str
    ) -> None:
        """Serve a compared version in `environment` (production, say)."""
        info = await self.owned(org, experiment_id)
        compared = await asyncio.to_thread(self.store.variants, experiment_id)
        if version_id not in {v.prompt_version_id for v in compared}:
            raise NotFoundError(VARIANT_NOT_FOUND)
        await self.prompts.set_environment(org, info.prompt_id, version_id, environment)
