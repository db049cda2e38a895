"""Each request is read once, as its newest version, by every reader (store/newest.py).

A request gets more rows when it changes (a property, then a score: version rows) or when
its id is logged again (a retried export, a reused id). Rows go in through the real log
sink; every reader is asked how many requests it sees and with which values.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import orjson
import pytest

from heliograph.alerts.definition import AlertSpec
from heliograph.alerts.metrics import measure
from heliograph.hql.execute import HqlLimits
from heliograph.hql.execute import execute as execute_hql
from heliograph.pipeline.sink import ClickHouseSink
from heliograph.store import schema
from heliograph.store.engine import ClickHouseEngine, QueryParams, QuerySettings
from heliograph.store.evals import score_distributions, time_window
from heliograph.store.log_row import NEW_ID_FIELD, LogRow
from heliograph.store.metrics import Grouping, Ranking, Scope, breakdown, totals
from heliograph.store.metrics_time import Window
from heliograph.store.properties import property_keys, property_values, update_properties
from heliograph.store.relogged import copy_relogged, request_key
from heliograph.store.requests import get_request, query_requests
from heliograph.store.schema import apply_migrations
from heliograph.store.scores import add_scores, score_names
from heliograph.store.sessions import SessionScope, query_sessions, session_requests
from heliograph.store.users import user_metrics, user_usage
from tests.store.engines import Engine, open_engine

ORG, OTHER_ORG = str(uuid.uuid4()), str(uuid.uuid4())
SESSION = "session-1"
WINDOW = Window(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC))


def row(
    request_id: str,
    minute: int,
    org: str = ORG,
    stage: str = "draft",
    logged_s: int = 1,
    id_is_new: bool = False,
) -> LogRow:
    """A logged request as the log pipeline hands it to the sink (its line as
    pipeline/rows.py writes it); `logged_s`: when it was logged, seconds into its minute
    (the newest log wins); `id_is_new`: Heliograph made the request id up."""
    fields = {
        "request_id": request_id,
        "organization_id": org,
        NEW_ID_FIELD: id_is_new,
        "request_created_at": f"2025-03-01 12:{minute:02d}:00.000",
        "updated_at": f"2025-03-01 12:{minute:02d}:{logged_s:02d}.000",
        "status": 200,
        "latency": 400,
        "model": "gpt-4o-mini",
        "provider": "OPENAI",
        "user_id": "alice",
        "cost": 2_000_000,
        "properties": {"Stage": stage, "Helicone-Session-Id": SESSION},
    }
    return LogRow(orjson.dumps(fields) + b"\n", request_id, org, id_is_new, 2_000_000)


def property_is(key: str, value: str) -> dict[str, Any]:
    return {"request_response_rmt": {"properties": {key: {"equals": value}}}}


async def hql_rows(engine: Engine, sql: str, org: str = ORG) -> list[dict[str, Any]]:
    answer = await (await execute_hql(engine, org, sql, 100, HqlLimits())).read()
    rows: list[dict[str, Any]] = orjson.loads(answer)["data"]["rows"]
    return rows


async def filtered_counts(engine: Engine, filter_node: Any) -> dict[str, int]:
    """How many requests each reader that takes a filter AST sees."""
    metrics = await totals(engine, Scope(ORG, filter_node, WINDOW), ("request_count",))
    users = (await user_metrics(engine, ORG, filter_node))["users"]
    sessions = await query_sessions(engine, SessionScope(ORG, filter_node))
    return {
        "metrics": metrics["request_count"],
        "users": sum(user["total_requests"] for user in users),
        "sessions": sum(session["total_requests"] for session in sessions),
        "requests": len(await query_requests(engine, ORG, filter_node)),
    }


async def counts(engine: Engine) -> dict[str, int]:
    """How many requests each reader sees."""
    alert = await measure(engine, ORG, AlertSpec("n", "count", 1, 10**12))
    hql = await hql_rows(engine, "SELECT count() AS n FROM request_response_rmt")
    return {
        **await filtered_counts(engine, "all"),
        "user usage": sum(user["count"] for user in await user_usage(engine, ORG)),
        "session requests": len(await session_requests(engine, ORG, SESSION, 100)),
        "alert": alert.request_count,
        "hql": hql[0]["n"],
    }


READERS = ("metrics", "users", "sessions", "requests")
EVERY_READER = (*READERS, "user usage", "session requests", "alert", "hql")


def everywhere(n: int, readers: tuple[str, ...] = EVERY_READER) -> dict[str, int]:
    return dict.fromkeys(readers, n)


@pytest.fixture
def run(
    tmp_path: Path, engine_kind: str
) -> Iterator[Callable[[Callable[[Engine], Awaitable[None]]], None]]:
    """Run a coroutine against a fresh migrated store."""

    def go(body: Callable[[Engine], Awaitable[None]]) -> None:
        async def main() -> None:
            engine = await open_engine(engine_kind, tmp_path / "ch")
            try:
                await apply_migrations(engine)
                await body(engine)
            finally:
                await engine.close()

        asyncio.run(main())

    yield go


def test_a_request_changed_twice_is_counted_once_with_its_newest_values(run):
    async def body(engine: Engine) -> None:
        changed, plain = str(uuid.uuid4()), str(uuid.uuid4())
        await ClickHouseSink(engine).write([row(changed, 1), row(plain, 2)])
        assert await counts(engine) == everywhere(2)

        assert await update_properties(engine, ORG, changed, {"Stage": "final"})
        await add_scores(engine, ORG, changed, {"quality": 1})

        assert await counts(engine) == everywhere(2)
        newest = await get_request(engine, ORG, changed)
        assert newest is not None
        assert (newest["properties"]["Stage"], newest["scores"]) == ("final", {"quality": 1})
        listed = {r["request_id"]: r for r in await query_requests(engine, ORG, "all")}
        assert listed[changed]["properties"]["Stage"] == "final"
        assert listed[changed]["scores"] == {"quality": 1}
        groups, _ = await breakdown(
            engine,
            Scope(ORG, "all", WINDOW),
            Grouping("property", "Stage"),
            Ranking(),
            ("request_count",),
        )
        assert {g["key"]: g["request_count"] for g in groups} == {"final": 1, "draft": 1}
        assert await property_values(engine, ORG, "Stage", "") == [
            {"property": "Stage", "value": "draft", "count": 1},
            {"property": "Stage", "value": "final", "count": 1},
        ]
        assert await property_keys(engine, ORG) == [{"property": "Stage", "count": 2}]
        assert await score_names(engine, ORG) == ["quality"]
        window = time_window("2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z")
        [quality] = await score_distributions(engine, ORG, window, "all")
        assert sum(b["value"] for b in quality["distribution"]) == 1
        assert await hql_rows(
            engine,
            "SELECT properties['Stage'] AS stage, scores['quality'] AS quality "
            "FROM request_response_rmt ORDER BY stage",
        ) == [{"stage": "draft", "quality": 0}, {"stage": "final", "quality": 1}]

    run(body)


def test_a_filter_on_a_value_only_an_older_version_had_matches_nothing(run):
    async def body(engine: Engine) -> None:
        changed = str(uuid.uuid4())
        await ClickHouseSink(engine).write([row(changed, 1, stage="draft")])
        await update_properties(engine, ORG, changed, {"Stage": "review"})
        await update_properties(engine, ORG, changed, {"Stage": "final"})

        for stage, found in (("draft", 0), ("review", 0), ("final", 1)):
            stage_is = property_is("Stage", stage)
            assert await filtered_counts(engine, stage_is) == everywhere(found, READERS), stage
            assert await hql_rows(
                engine,
                "SELECT count() AS n FROM request_response_rmt "
                f"WHERE properties['Stage'] = '{stage}'",
            ) == [{"n": found}]

    run(body)


def test_a_request_id_logged_again_is_counted_once(run):
    async def body(engine: Engine) -> None:
        sink = ClickHouseSink(engine)
        resent, twice_in_a_batch, other = (str(uuid.uuid4()) for _ in range(3))
        await sink.write([row(resent, 1), row(twice_in_a_batch, 2), row(twice_in_a_batch, 2)])
        await sink.write([row(resent, 1, stage="resent", logged_s=30), row(other, 3)])
        # The same id in another organization is another request.
        await sink.write([row(resent, 1, org=OTHER_ORG)])

        assert await counts(engine) == everywhere(3)
        newest = await get_request(engine, ORG, resent)
        assert newest is not None and newest["properties"]["Stage"] == "resent"
        copied = await engine.select(
            "SELECT toString(request_id) AS id, count() AS n FROM request_versions "
            "WHERE organization_id = {org:UUID} GROUP BY id ORDER BY id",
            {"org": ORG},
        )
        assert {r["id"]: r["n"] for r in copied} == {resent: 2, twice_in_a_batch: 2}
        hql_count = "SELECT count() AS n FROM request_response_rmt"
        assert await hql_rows(engine, hql_count, OTHER_ORG) == [{"n": 1}]

    run(body)


class CountingEngine:
    """A Engine that records which kind of statement each call was."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.calls: list[str] = []

    async def select(
        self, sql: str, params: QueryParams | None = None, settings: QuerySettings | None = None
    ) -> list[dict[str, Any]]:
        self.calls.append("select")
        return await self.engine.select(sql, params, settings)

    async def execute(self, sql: str, params: QueryParams | None = None) -> None:
        self.calls.append("execute")
        await self.engine.execute(sql, params)

    async def insert_json_lines(
        self, table: str, lines: Sequence[bytes], source: Path | None = None
    ) -> None:
        self.calls.append(f"insert {table}")
        await self.engine.insert_json_lines(table, lines, source)


def test_a_batch_of_new_ids_costs_one_lookup(run):
    async def body(engine: Engine) -> None:
        counting = CountingEngine(engine)
        store = cast(ClickHouseEngine, counting)
        fresh = [row(str(uuid.uuid4()), minute) for minute in range(50)]
        assert await copy_relogged(store, fresh) == 0
        assert counting.calls == ["select"]
        await engine.insert_json_lines("request_response_rmt", [r.line for r in fresh])

        counting.calls.clear()
        assert await copy_relogged(store, [fresh[0], row(str(uuid.uuid4()), 9)]) == 1
        assert counting.calls == ["select", "execute", "insert request_versions"]

    run(body)


def test_ids_heliograph_made_up_are_never_looked_up(run):
    async def body(engine: Engine) -> None:
        counting = CountingEngine(engine)
        store = cast(ClickHouseEngine, counting)
        made_up = [row(str(uuid.uuid4()), minute, id_is_new=True) for minute in range(20)]
        assert all(request_key(r) is None for r in made_up)
        assert await copy_relogged(store, made_up) == 0
        assert counting.calls == []
        # A replay reads whether the id is new back from the line.
        replayed = [LogRow.from_line(r.line) for r in made_up]
        assert replayed == made_up
        assert await copy_relogged(store, replayed) == 0
        assert counting.calls == []
        given = row(str(uuid.uuid4()), 3)
        assert request_key(given) is not None
        assert await copy_relogged(store, [given]) == 0
        assert counting.calls == ["select"]

    run(body)


def test_request_versions_has_every_column_of_request_response_rmt(run):
    """Readers union the two tables' rows: a column added to one must be added to both."""

    async def body(engine: Engine) -> None:
        def shape(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
            return [(r["name"], r["type"]) for r in rows]

        rmt = await engine.select("DESCRIBE TABLE request_response_rmt")
        copies = await engine.select("DESCRIBE TABLE request_versions")
        assert shape(copies) == shape(rmt)

    run(body)


def test_the_migration_registers_requests_stored_with_several_rows(
    tmp_path: Path, engine_kind: str
):
    """A store from before m013 holds version rows and same-id rows; upgrading keeps each
    request counted once, and the ids it held are known to the log sink."""

    async def main() -> None:
        engine = await open_engine(engine_kind, tmp_path / "ch")
        try:
            await upgrade(engine)
        finally:
            await engine.close()

    async def upgrade(engine: Engine) -> None:
        before = tuple(m for m in schema.MIGRATIONS if m.name < "m013")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(schema, "MIGRATIONS", before)
            await apply_migrations(engine)
        # Merges would fold rows of one sort key into one, leaving nothing to register.
        await engine.execute("SYSTEM STOP MERGES request_response_rmt")
        changed, doubled, plain = (str(uuid.uuid4()) for _ in range(3))
        stored = [row(changed, 1).line, row(doubled, 2).line, row(plain, 3).line]
        await engine.insert_json_lines("request_response_rmt", stored)
        # Another insert: one insert folds its own rows of one sort key (optimize_on_insert).
        logged_again = row(doubled, 2, stage="again", logged_s=30).line
        await engine.insert_json_lines("request_response_rmt", [logged_again])
        await update_properties(engine, ORG, changed, {"Stage": "final"})

        assert await apply_migrations(engine) == [
            m.name for m in schema.MIGRATIONS if m.name >= "m013"
        ]

        assert await counts(engine) == everywhere(3)
        draft = property_is("Stage", "draft")
        assert await filtered_counts(engine, draft) == everywhere(1, READERS)  # plain's
        listed = await engine.select(
            "SELECT DISTINCT toString(request_id) AS id FROM request_versions ORDER BY id"
        )
        assert [r["id"] for r in listed] == sorted([changed, doubled])
        known = await engine.select("SELECT count() AS n FROM logged_request_ids FINAL")
        assert known == [{"n": 3}]
        # Logged once more after the upgrade: found through the backfilled ids.
        await ClickHouseSink(engine).write([row(plain, 3, stage="again", logged_s=30)])
        assert await counts(engine) == everywhere(3)
        assert await filtered_counts(engine, draft) == everywhere(0, READERS)

    asyncio.run(main())
