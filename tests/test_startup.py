"""Start-up that fails part-way stops what it had started, so the process can exit cleanly."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

import pytest

from heliograph.app import HeliographApp, build_services
from heliograph.settings_sources import load_settings


def test_a_failed_start_stops_what_had_started(tmp_path: Path):
    # In a fresh process: chDB keeps one session per process.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pool.apply(_failed_start, (str(tmp_path),))


class WebhooksDown(RuntimeError):
    pass


def _failed_start(directory: str) -> None:
    async def scenario() -> None:
        settings = load_settings(environ={}, overrides={"data_dir": directory})
        app = HeliographApp(build_services(settings))
        services = app.services

        async def fail() -> None:  # the last step of start-up
            raise WebhooksDown("webhook store unreachable")

        services.webhooks.start = fail  # type: ignore[method-assign]
        with pytest.raises(WebhooksDown):
            await app.startup()
        # The log pipeline's and the alert evaluator's loops have ended...
        assert asyncio.all_tasks() == {asyncio.current_task()}
        with pytest.raises(RuntimeError, match="shutdown"):  # ...and chDB's thread is gone
            await services.engine.select("SELECT 1")

    asyncio.run(scenario())
