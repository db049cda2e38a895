"""Webhook store, delivery queue and dispatcher on real SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import orjson
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, inspect, text

from heliograph.costs.catalog import PriceCatalog
from heliograph.meta import db
from heliograph.meta.keys import KeyStore
from heliograph.pipeline.rows import LoggedCall, RowBuilder
from heliograph.providers.registry import OPENAI_FORMAT
from heliograph.store.log_row import LogRow
from heliograph.webhooks.dispatcher import WebhookDispatcher
from heliograph.webhooks.payload import build_payload
from heliograph.webhooks.queue import DeliveryQueue, NewDelivery, utcnow
from heliograph.webhooks.rules import PropertyFilter, WebhookConfig
from heliograph.webhooks.store import WebhookStore


@dataclass
class Meta:
    engine: Engine
    keys: KeyStore
    store: WebhookStore
    queue: DeliveryQueue


@pytest.fixture
def meta(database_url: str) -> Iterator[Meta]:
    engine = db.connect(database_url)
    db.migrate(engine)
    sessions = db.session_factory(engine)
    yield Meta(
        engine,
        KeyStore(sessions),
        WebhookStore(sessions, Fernet(Fernet.generate_key())),
        DeliveryQueue(sessions),
    )
    engine.dispose()


def org(meta: Meta, name: str = "acme") -> str:
    return meta.keys.organization(f"{name}-{uuid.uuid4().hex[:6]}", create=True).id


def count(meta: Meta, table: str) -> int:
    with meta.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_migration_creates_the_tables(meta: Meta):
    tables = set(inspect(meta.engine).get_table_names())
    assert {"webhooks", "webhook_deliveries", "webhook_delivery_attempts"} <= tables
    uniques = inspect(meta.engine).get_unique_constraints("webhook_deliveries")
    assert [sorted(u["column_names"]) for u in uniques] == [["request_id", "webhook_id"]]


def test_secret_is_stored_encrypted_and_scoped_to_its_org(meta: Meta):
    mine, theirs = org(meta), org(meta)
    created = meta.store.create(mine, "https://example.com/a", WebhookConfig(sample_rate=12.5))
    with meta.engine.connect() as connection:
        dump = " ".join(str(r) for r in connection.execute(text("SELECT * FROM webhooks")))
    assert created.hmac_key not in dump
    assert created.info.hmac_key_preview in dump
    stored = connection_value(meta, "encrypted_hmac_key", created.info.id)
    assert meta.store.decrypt(stored) == created.hmac_key
    assert [w.id for w in meta.store.list_for(mine)] == [created.info.id]
    assert meta.store.list_for(theirs) == []
    assert meta.store.get(theirs, created.info.id) is None
    assert meta.store.get(mine, "nonsense") is None
    assert meta.store.get(mine, created.info.id.upper()) == created.info
    assert created.info.config.sample_rate == 12.5
    assert meta.store.delete(theirs, created.info.id) is False
    assert meta.store.delete(mine, created.info.id) is True
    assert meta.store.list_for(mine) == []


def connection_value(meta: Meta, column: str, webhook_id: str) -> str:
    with meta.engine.connect() as connection:
        return str(
            connection.execute(
                text(f"SELECT {column} FROM webhooks WHERE id = :id"), {"id": webhook_id}
            ).scalar_one()
        )


def test_queue_is_unique_per_webhook_and_request(meta: Meta):
    owner = org(meta)
    first = meta.store.create(owner, "https://example.com/1", WebhookConfig()).info
    second = meta.store.create(owner, "https://example.com/2", WebhookConfig()).info
    request_id = str(uuid.uuid4())
    batch = [NewDelivery(h.id, owner, request_id, b"{}") for h in (first, second)]
    meta.queue.enqueue(batch)
    meta.queue.enqueue(batch)  # a replay of the same stored rows
    assert count(meta, "webhook_deliveries") == 2
    gone = meta.store.create(owner, "https://example.com/3", WebhookConfig()).info
    meta.store.delete(owner, gone.id)
    late = str(uuid.uuid4())
    meta.queue.enqueue(
        [NewDelivery(gone.id, owner, late, b"{}"), NewDelivery(first.id, owner, late, b"{}")]
    )
    assert [d.request_id for d in meta.queue.deliveries(first.id, request_id=late)] == [late]
    assert count(meta, "webhook_deliveries") == 3


def test_claims_lease_and_attempts_move_deliveries_on(meta: Meta):
    owner = org(meta)
    hook = meta.store.create(owner, "https://example.com/h", WebhookConfig()).info
    ids = [str(uuid.uuid4()) for _ in range(3)]
    meta.queue.enqueue([NewDelivery(hook.id, owner, rid, b'{"a":1}') for rid in ids])

    claimed, next_due = meta.queue.claim_due(10, timedelta(minutes=5))
    assert sorted(c.request_id for c in claimed) == sorted(ids)
    assert claimed[0].payload == b'{"a":1}' and claimed[0].destination == hook.destination
    assert next_due is not None and next_due > utcnow() + timedelta(minutes=4)
    assert meta.queue.claim_due(10, timedelta(minutes=5))[0] == [], "leased: not claimed twice"

    by_id = {c.request_id: c for c in claimed}
    now = utcnow()
    assert meta.queue.record_attempt(by_id[ids[0]], 200, None, 12, now, None) == "delivered"
    retry_at = now + timedelta(milliseconds=1)
    assert meta.queue.record_attempt(by_id[ids[1]], 500, "HTTP 500", 7, now, retry_at) == "pending"
    assert meta.queue.record_attempt(by_id[ids[2]], None, "refused", 3, now, None) == "failed"
    time.sleep(0.01)
    again, _ = meta.queue.claim_due(10, timedelta(minutes=5))
    assert [(c.request_id, c.attempts) for c in again] == [(ids[1], 1)]

    meta.queue.release([again[0].id])
    assert [c.request_id for c in meta.queue.claim_due(10, timedelta(minutes=5))[0]] == [ids[1]]

    records = {r.request_id: r for r in meta.queue.deliveries(hook.id)}
    assert records[ids[0]].status == "delivered" and records[ids[0]].completed_at is not None
    assert [(a.attempt, a.status_code, a.error) for a in records[ids[1]].log] == [
        (1, 500, "HTTP 500")
    ]
    assert records[ids[1]].next_attempt_at is not None
    assert records[ids[2]].status == "failed" and records[ids[2]].next_attempt_at is None
    assert [r.request_id for r in meta.queue.deliveries(hook.id, status="failed")] == [ids[2]]
    assert len(meta.queue.deliveries(hook.id, limit=2)) == 2
    assert len(meta.queue.deliveries(hook.id, limit=2, offset=2)) == 1

    meta.store.delete(owner, hook.id)
    assert count(meta, "webhook_deliveries") == 0
    assert count(meta, "webhook_delivery_attempts") == 0, "the log goes with its webhook"


def test_concurrent_claims_never_overlap(meta: Meta):
    owner = org(meta)
    hook = meta.store.create(owner, "https://example.com/c", WebhookConfig()).info
    meta.queue.enqueue([NewDelivery(hook.id, owner, str(uuid.uuid4()), b"{}") for _ in range(40)])
    claimed: list[list[str]] = []
    lock = threading.Lock()

    def claim() -> None:
        while True:
            batch, _ = meta.queue.claim_due(3, timedelta(minutes=5))
            if not batch:
                return
            with lock:
                claimed.append([c.id for c in batch])

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [delivery for batch in claimed for delivery in batch]
    assert len(every) == 40 and len(set(every)) == 40


def row(organization_id: str, **fields: object) -> tuple[str, LogRow]:
    """A real `request_response_rmt` row, as the pipeline stores it."""
    request_id = str(uuid.uuid4())
    call = LoggedCall(
        request_id=request_id,
        organization_id=organization_id,
        provider="OPENAI",
        target_url="https://api.openai.com/v1/chat/completions",
        wire=OPENAI_FORMAT,
        started_at=time.time() - 0.25,
        ended_at=time.time(),
        request_body=b'{"model":"gpt-4o-mini","messages":[]}',
        request_json={"model": "gpt-4o-mini", "messages": []},
        status=200,
        response_body=orjson.dumps(
            {"model": "gpt-4o-mini", "usage": {"prompt_tokens": 5, "completion_tokens": 7}}
        ),
        **fields,  # type: ignore[arg-type]
    )
    return request_id, RowBuilder(PriceCatalog.load_default()).build(call)


class CountingQueue(DeliveryQueue):
    def __init__(self, inner: DeliveryQueue) -> None:
        self.inner = inner
        self.calls = 0

    def enqueue(self, deliveries):  # type: ignore[no-untyped-def]
        self.calls += 1
        self.inner.enqueue(deliveries)


def dispatch(dispatcher: WebhookDispatcher, rows: list[LogRow]) -> None:
    """Await the listener on an event loop of its own thread: a test that ran before may
    have left a loop running in this one (Playwright's sync API does)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, dispatcher(rows)).result()


def test_dispatcher_queues_matching_rows_once(meta: Meta):
    owner, other = org(meta), org(meta, "quiet")
    wanted = WebhookConfig(property_filters=(PropertyFilter("Env", "prod"),))
    filtered = meta.store.create(owner, "https://example.com/f", wanted).info
    everything = meta.store.create(owner, "https://example.com/e", WebhookConfig()).info
    queue = CountingQueue(meta.queue)
    woken: list[bool] = []
    dispatcher = WebhookDispatcher(meta.store, queue, lambda: woken.append(True))
    dispatcher.refresh()

    quiet = [row(other)[1] for _ in range(5)]
    # A property named like the org column must not route another org's row to this org.
    _, spoof = row(other, properties={"organization_id": owner})
    dispatch(dispatcher, [*quiet, spoof])
    assert queue.calls == 0 and woken == [], "rows of orgs without webhooks cost no DB work"

    prod_id, prod = row(owner, properties={"env": "prod"}, user_id="u1")
    dev_id, dev = row(owner, properties={"env": "dev"})
    dispatch(dispatcher, [prod, dev, *quiet])
    dispatch(dispatcher, [LogRow.from_line(r.line) for r in (prod, dev)])  # read back, replayed
    assert woken == [True, True]
    assert [d.request_id for d in meta.queue.deliveries(filtered.id)] == [prod_id]
    assert sorted(d.request_id for d in meta.queue.deliveries(everything.id)) == sorted(
        [prod_id, dev_id]
    )
    claimed, _ = meta.queue.claim_due(10, timedelta(minutes=1))
    sent = {(c.webhook_id, c.request_id): c.payload for c in claimed}
    assert sent[(filtered.id, prod_id)] == build_payload(orjson.loads(prod.line), True)
    assert orjson.loads(sent[(filtered.id, prod_id)])["user_id"] == "u1"

    meta.store.delete(owner, filtered.id)
    meta.store.delete(owner, everything.id)
    dispatcher.refresh()
    assert dispatcher.organizations == 0
    dispatch(dispatcher, [row(owner)[1]])
    assert queue.calls == 2
