"""Legacy prompt versions written by many writers at once (as many gateway processes on one
PostgreSQL, or SQLite), and the queue in front of the writer: a number is never given twice,
the same new template makes one version, a full queue drops and counts."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta import db
from heliograph.meta.keys import KeyStore
from heliograph.meta.models import LegacyPrompt, LegacyPromptInput, LegacyPromptVersion
from heliograph.prompts.legacy.templates import LegacyCall
from heliograph.prompts.legacy.writes import LegacyWriter
from heliograph.prompts.record_log import RecordLog

WRITERS = 12


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.connect(database_url)
    db.migrate(engine)
    yield db.session_factory(engine)
    engine.dispose()


def _call(org: str, system: str, value: str = "v") -> LegacyCall:
    content = f'{system} <helicone-prompt-input key="k">{value}</helicone-prompt-input>'
    body = orjson.dumps({"model": "m", "messages": [{"role": "system", "content": content}]})
    return LegacyCall(org, str(uuid.uuid4()), "raced", body, datetime.now(UTC))


def _org(sessions: sessionmaker[Session]) -> str:
    return KeyStore(sessions).organization(f"legacy-{uuid.uuid4().hex[:6]}", create=True).id


def _versions(sessions: sessionmaker[Session], org: str) -> list[tuple[int, str]]:
    with sessions() as session:
        rows = session.execute(
            select(LegacyPromptVersion.major_version, LegacyPromptVersion.template)
            .where(LegacyPromptVersion.organization_id == org)
            .order_by(LegacyPromptVersion.major_version)
        )
        return [(major, template) for major, template in rows]


def _write_each(writer: LegacyWriter, calls: list[LegacyCall]) -> None:
    """Every call by a writer thread of its own, all at once."""
    with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda call: writer.record_many([call]), calls))


def test_the_same_new_template_from_many_writers_makes_one_version(
    sessions: sessionmaker[Session],
):
    org = _org(sessions)
    writer = LegacyWriter(sessions)
    # The prompt is made by the racing writers too: one prompt, version 0, once.
    _write_each(writer, [_call(org, "first", f"value {i}") for i in range(WRITERS)])
    _write_each(writer, [_call(org, "second", f"value {i}") for i in range(WRITERS)])
    assert [major for major, _ in _versions(sessions, org)] == [0, 1]
    with sessions() as session:
        prompts = session.scalar(
            select(func.count())
            .select_from(LegacyPrompt)
            .where(LegacyPrompt.organization_id == org)
        )
        inputs = session.scalar(
            select(func.count())
            .select_from(LegacyPromptInput)
            .where(LegacyPromptInput.organization_id == org)
        )
    assert (prompts, inputs, writer.skipped) == (1, 2 * WRITERS, 0)


def test_distinct_new_templates_from_many_writers_take_distinct_numbers(
    sessions: sessionmaker[Session],
):
    org = _org(sessions)
    writer = LegacyWriter(sessions)
    writer.record_many([_call(org, "base")])
    _write_each(writer, [_call(org, f"template {i}") for i in range(WRITERS)])
    versions = _versions(sessions, org)
    assert [major for major, _ in versions] == list(range(WRITERS + 1))
    assert len({template for _, template in versions}) == WRITERS + 1


def test_a_batch_keeps_its_order_and_a_repeated_request_id_counts_once(
    sessions: sessionmaker[Session],
):
    org = _org(sessions)
    writer = LegacyWriter(sessions)
    a, b = _call(org, "a"), _call(org, "b")
    repeated = LegacyCall(org, a.request_id, "raced", _call(org, "c").body, a.created_at)
    unreadable = LegacyCall(org, str(uuid.uuid4()), "raced", b"not json", a.created_at)
    writer.record_many([a, b, repeated, unreadable, _call(org, "a")])
    assert [major for major, _ in _versions(sessions, org)] == [0, 1, 2], "a, b, then a again"
    assert writer.skipped == 1


def test_a_full_queue_drops_and_counts():
    written: list[int] = []
    log = RecordLog(written.extend, "test records", max_pending=2, max_pending_bytes=100)
    assert log.submit(1, 10) and log.submit(2, 10)
    assert not log.submit(3, 10), "two records at most"
    full_bytes = RecordLog(written.extend, "test records", max_pending=10, max_pending_bytes=100)
    assert full_bytes.submit(1, 60) and not full_bytes.submit(2, 41) and full_bytes.submit(3, 40)
    assert (log.dropped, full_bytes.dropped) == (1, 1)


def test_a_prompt_at_its_version_limit_records_no_new_template(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("heliograph.prompts.legacy.writes.MAX_VERSIONS_PER_PROMPT", 2)
    org = _org(sessions)
    writer = LegacyWriter(sessions)
    writer.record_many([_call(org, "a"), _call(org, "b"), _call(org, "c"), _call(org, "b")])
    assert [major for major, _ in _versions(sessions, org)] == [0, 1]
    assert writer.skipped == 1, "c is not recorded; b, the newest, still is"
    with sessions() as session:
        inputs = session.scalar(
            select(func.count())
            .select_from(LegacyPromptInput)
            .where(LegacyPromptInput.organization_id == org)
        )
    assert inputs == 3
