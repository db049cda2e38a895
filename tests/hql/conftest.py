"""Two organizations' rows in a real chDB store, and HQL run against it as either org.

Rows are built by the log pipeline's own RowBuilder and inserted the way its sink does;
property updates add newer versions of a request row, cache hits fill cache_metrics.
Organization B's rows carry markers (SECRET-B...) that must never come back to A.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from heliograph.costs.catalog import PriceCatalog
from heliograph.hql.errors import HqlError
from heliograph.hql.execute import HqlLimits, execute
from heliograph.pipeline.rows import LoggedCall, RowBuilder
from heliograph.providers.registry import OPENAI_FORMAT
from heliograph.store.chdb_engine import ChdbEngine
from heliograph.store.properties import update_properties
from heliograph.store.schema import apply_migrations

# Small enough that runaway queries fail within seconds.
TEST_LIMITS = HqlLimits(max_execution_s=3, max_memory_bytes=300_000_000)
B_MARKER = "SECRET-B"


@dataclass
class Org:
    id: str
    request_ids: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.request_ids)


@dataclass
class World:
    engine: ChdbEngine
    loop: asyncio.AbstractEventLoop
    a: Org
    b: Org
    updated_a: str  # a request of A whose properties were updated (two stored versions)

    def run(self, sql: str, org: Org | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """HQL as organization `org` (default A): the rows, or HqlError raised."""
        answer = self.loop.run_until_complete(self._answer(sql, org or self.a, limit))
        rows: list[dict[str, Any]] = orjson.loads(answer)["data"]["rows"]
        return rows

    async def _answer(self, sql: str, org: Org, limit: int) -> bytes:
        return await (await execute(self.engine, org.id, sql, limit, TEST_LIMITS)).read()

    def refusal(self, sql: str) -> HqlError:
        with pytest.raises(HqlError) as caught:
            self.run(sql)
        return caught.value

    def b_markers(self) -> list[str]:
        ids = [self.b.id, *self.b.request_ids]
        return [B_MARKER.lower(), *ids, *(i.replace("-", "") for i in ids)]

    def assert_no_b_data(self, rows: object, typed: str = "") -> None:
        """No marker of B's data in `rows`, but for those the query `typed` itself: a
        query may echo a literal it holds (SELECT '<B's id>')."""
        text = orjson.dumps(rows).decode().lower()
        echoable = typed.lower()
        leaked = [m for m in self.b_markers() if m in text and m not in echoable]
        assert not leaked, f"organization B's data came back: {leaked}"


def logged_row(
    organization_id: str,
    *,
    model: str,
    user_id: str,
    properties: dict[str, str],
    status: int = 200,
    body_note: str = "",
    cache_reference_id: str | None = None,
) -> tuple[str, bytes]:
    """A `request_response_rmt` line exactly as the log pipeline builds it."""
    request_id = str(uuid.uuid4())
    request = {"model": model, "messages": [{"role": "user", "content": f"hi {body_note}"}]}
    response = {"model": model, "usage": {"prompt_tokens": 11, "completion_tokens": 7}}
    call = LoggedCall(
        request_id=request_id,
        organization_id=organization_id,
        provider="OPENAI",
        target_url="https://api.openai.com/v1/chat/completions",
        wire=OPENAI_FORMAT,
        started_at=time.time() - 0.5,
        ended_at=time.time(),
        request_body=orjson.dumps(request),
        request_json=request,
        status=status,
        response_body=orjson.dumps(response),
        user_id=user_id,
        properties=properties,
        cache_reference_id=cache_reference_id,
    )
    return request_id, RowBuilder(PriceCatalog.load_default()).build(call).line


async def _seed(engine: ChdbEngine) -> tuple[Org, Org, str]:
    a, b = Org(str(uuid.uuid4())), Org(str(uuid.uuid4()))
    lines = []
    for i in range(10):
        request_id, line = logged_row(
            a.id,
            model=("gpt-4o-mini", "gpt-4o")[i % 2],
            user_id=f"alice-{i % 3}",
            properties={"Helicone-Session-Id": f"a-session-{i % 4}", "team": "a-team"},
            status=500 if i == 9 else 200,
        )
        a.request_ids.append(request_id)
        lines.append(line)
    for i in range(8):
        request_id, line = logged_row(
            b.id,
            model="secret-model-b",
            user_id=f"{B_MARKER}-user-{i}",
            properties={"Helicone-Session-Id": f"{B_MARKER}-session", "secret": B_MARKER},
            body_note=f"{B_MARKER}-body",
        )
        b.request_ids.append(request_id)
        lines.append(line)
    # A cache hit for each organization: a row of its own and a cache_metrics row.
    for org, properties in ((a, {"team": "a-team"}), (b, {"secret": B_MARKER})):
        request_id, line = logged_row(
            org.id,
            model="gpt-4o-mini" if org is a else "secret-model-b",
            user_id="alice-0" if org is a else f"{B_MARKER}-user-0",
            properties=properties,
            cache_reference_id=org.request_ids[0],
        )
        org.request_ids.append(request_id)
        lines.append(line)
    await engine.insert_json_lines("request_response_rmt", lines)
    # Newer versions of a request row, as the property update endpoint writes them.
    assert await update_properties(engine, a.id, a.request_ids[1], {"team": "a-team-updated"})
    assert await update_properties(engine, b.id, b.request_ids[1], {"secret": f"{B_MARKER}-v2"})
    return a, b, a.request_ids[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    loop = asyncio.new_event_loop()
    engine = ChdbEngine(Path(tmp_path_factory.mktemp("hql-chdb")))
    loop.run_until_complete(engine.open())
    loop.run_until_complete(apply_migrations(engine))
    a, b, updated = loop.run_until_complete(_seed(engine))
    yield World(engine, loop, a, b, updated)
    loop.run_until_complete(engine.close())
    loop.close()
