"""Deliveries end to end: logged calls through the real server reach a receiver, signed."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest

from heliograph.webhooks.rules import sampled
from heliograph.webhooks.signing import sign
from tests.server import HeliographProcess
from tests.webhooks.conftest import FAST_RETRIES
from tests.webhooks.helpers import (
    create_webhook,
    deliveries,
    logged_call,
    new_org,
    wait_for_delivery,
)
from tests.webhooks.receiver import Receiver

# Helicone's documented receiver check: HMAC of JSON.stringify(parsed body), hex.
HELICONE_JS_CHECK = """
const crypto = require("crypto");
const [body, signature, secret] = JSON.parse(require("fs").readFileSync(0, "utf8"));
const hmac = crypto.createHmac("sha256", secret);
hmac.update(JSON.stringify(JSON.parse(body)));
const calculated = hmac.digest("hex");
const ok = crypto.timingSafeEqual(Buffer.from(calculated, "hex"), Buffer.from(signature, "hex"));
process.stdout.write(ok ? "valid" : "invalid");
"""


def test_payload_is_signed_and_matches_the_logged_row(hook_server: HeliographProcess):
    key = new_org(hook_server, "wh-payload")
    with Receiver() as full, Receiver() as lean:
        rich = create_webhook(hook_server, key, full.url, config={})
        plain = create_webhook(hook_server, key, lean.url, config={}, includeData=False)
        request_id = logged_call(
            hook_server,
            key,
            **{"Helicone-User-Id": "user-42", "Helicone-Property-Environment": "prod"},
        )
        full.wait_until(lambda r: len(r.of(request_id)) == 1)
        lean.wait_until(lambda r: len(r.of(request_id)) == 1)
        row = hook_server.wait_for_request(request_id, key)

        sent = full.of(request_id)[0]
        assert sent.headers["Content-Type"] == "application/json"
        assert sent.headers["Helicone-Signature"] == sign(rich["hmac_key"], sent.body)
        assert sent.headers["Helicone-Signature"] != sign(plain["hmac_key"], sent.body)
        payload = sent.json
        assert json.loads(payload["request_body"]) == row["request_body"]
        assert json.loads(payload["response_body"]) == row["response_body"]
        assert row["properties"]["Environment"] == "prod"
        assert payload == {
            "request_id": request_id,
            "request_body": payload["request_body"],
            "response_body": payload["response_body"],
            "user_id": "user-42",
            "model": "gpt-4o-mini",
            "provider": row["provider"],
            "status": 200,
            "properties": row["properties"],
            "request_created_at": row["request_created_at"].replace(" ", "T") + "Z",
            "response_created_at": row["response_created_at"].replace(" ", "T") + "Z",
            "metadata": {
                "cost": pytest.approx(row["cost"]),
                "promptTokens": row["prompt_tokens"],
                "completionTokens": row["completion_tokens"],
                "totalTokens": row["prompt_tokens"] + row["completion_tokens"],
                "latencyMs": row["delay_ms"],
            },
        }
        assert payload["metadata"]["cost"] > 0 and payload["metadata"]["totalTokens"] > 0

        # includeData off: Helicone's standard payload only.
        bare = lean.of(request_id)[0]
        assert bare.headers["Helicone-Signature"] == sign(plain["hmac_key"], bare.body)
        assert bare.json == {
            "request_id": request_id,
            "request_body": payload["request_body"],
            "response_body": payload["response_body"],
            "user_id": "user-42",
        }

        delivered = wait_for_delivery(hook_server, key, rich["id"], request_id)
        assert delivered["attempt_count"] == 1
        assert [a["status_code"] for a in delivered["attempts"]] == [200]

        node = shutil.which("node")
        if node is None:
            print("node not installed: Helicone's JavaScript signature check not run")
            return
        for received, secret in ((sent, rich["hmac_key"]), (bare, plain["hmac_key"])):
            check = subprocess.run(
                [node, "-e", HELICONE_JS_CHECK],
                input=json.dumps(
                    [received.body.decode(), received.headers["Helicone-Signature"], secret]
                ),
                capture_output=True,
                text=True,
                check=True,
            )
            assert check.stdout == "valid"


def test_property_filters_pick_requests(hook_server: HeliographProcess):
    key = new_org(hook_server, "wh-filter")
    with Receiver() as receiver:
        hook = create_webhook(
            hook_server,
            key,
            receiver.url,
            config={"propertyFilters": [{"key": "environment", "value": "production"}]},
        )
        # Stored (and dispatched) in order: once the match arrives, the others were seen.
        skipped = [
            logged_call(hook_server, key, **{"Helicone-Property-Environment": "staging"}),
            logged_call(hook_server, key),
        ]
        wanted = logged_call(hook_server, key, **{"Helicone-Property-Environment": "production"})
        receiver.wait_until(lambda r: len(r.of(wanted)) == 1)
        wait_for_delivery(hook_server, key, hook["id"], wanted)
        assert [r.json["request_id"] for r in receiver.received] == [wanted]
        assert [d["request_id"] for d in deliveries(hook_server, key, hook["id"])] == [wanted]
        for request_id in skipped:
            assert deliveries(hook_server, key, hook["id"], requestId=request_id) == []


def test_sample_rate_is_respected_and_decided_by_request_id(hook_server: HeliographProcess):
    key = new_org(hook_server, "wh-sample")
    with Receiver() as always, Receiver() as never, Receiver() as half:
        all_hook = create_webhook(hook_server, key, always.url, config={"sampleRate": 100})
        none_hook = create_webhook(hook_server, key, never.url, config={"sampleRate": 0})
        half_hook = create_webhook(hook_server, key, half.url, config={"sampleRate": 50})
        ids = [logged_call(hook_server, key) for _ in range(12)]
        always.wait_until(lambda r: len(r.received) == len(ids))
        for request_id in ids:
            wait_for_delivery(hook_server, key, all_hook["id"], request_id)
        assert sorted(r.json["request_id"] for r in always.received) == sorted(ids)
        assert never.received == []
        assert deliveries(hook_server, key, none_hook["id"]) == []
        expected = {rid for rid in ids if sampled(rid, 50)}
        queued = {d["request_id"] for d in deliveries(hook_server, key, half_hook["id"])}
        assert queued == expected


def test_failing_receiver_gets_it_once_after_retries(hook_server: HeliographProcess):
    key = new_org(hook_server, "wh-retry")
    with Receiver(statuses=[500, 500, 500]) as receiver:
        hook = create_webhook(hook_server, key, receiver.url, config={})
        request_id = logged_call(hook_server, key)
        delivered = wait_for_delivery(hook_server, key, hook["id"], request_id)
        log = delivered["attempts"]
        assert [(a["attempt"], a["status_code"], a["error"]) for a in log] == [
            (1, 500, "HTTP 500"),
            (2, 500, "HTTP 500"),
            (3, 500, "HTTP 500"),
            (4, 200, None),
        ]
        assert all(a["duration_ms"] >= 0 and a["attempted_at"] for a in log)
        assert delivered["attempt_count"] == 4 and delivered["completed_at"]
        assert delivered["next_attempt_at"] is None
        # A later request arriving proves the worker moved on without sending the first again.
        sentinel = logged_call(hook_server, key)
        receiver.wait_until(lambda r: len(r.of(sentinel)) == 1)
        wait_for_delivery(hook_server, key, hook["id"], sentinel)
        sent = receiver.of(request_id)
        assert [r.answered for r in sent] == [500, 500, 500, 200]
        assert len({r.body for r in sent}) == 1, "every attempt sends the same signed bytes"


def test_delivery_is_marked_failed_after_the_retry_window(start_server):
    server = start_server(
        env={
            "HELIOGRAPH_WEBHOOK_RETRY_BASE_MS": "100",
            "HELIOGRAPH_WEBHOOK_RETRY_WINDOW_S": "1",
            "HELIOGRAPH_WEBHOOK_TIMEOUT_S": "5",
            "HELIOGRAPH_OUTBOUND_ALLOW": "127.0.0.1",
        }
    )
    with Receiver(then=503) as receiver:
        hook = create_webhook(server, server.api_key, receiver.url, config={})
        request_id = logged_call(server, server.api_key)
        failed = wait_for_delivery(server, server.api_key, hook["id"], request_id, "failed")
        assert failed["attempt_count"] >= 2
        assert {a["status_code"] for a in failed["attempts"]} == {503}
        assert failed["completed_at"] and failed["next_attempt_at"] is None
        assert len(receiver.of(request_id)) == failed["attempt_count"]
        assert f"webhook {hook['id']}: gave up on request {request_id}" in server.log()


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_pending_deliveries_survive_a_restart(start_server, tmp_path, how: str):
    env = {**FAST_RETRIES, "HELIOGRAPH_WEBHOOK_RETRY_BASE_MS": "200"}
    data_dir = tmp_path / "restart"
    server = start_server(data_dir=data_dir, env=env)
    with Receiver(then=500) as receiver:
        hook = create_webhook(server, server.api_key, receiver.url, config={})
        request_id = logged_call(server, server.api_key)
        receiver.wait_until(lambda r: len(r.of(request_id)) >= 1)
        pending = wait_for_delivery(
            server, server.api_key, hook["id"], request_id, "pending", min_attempts=1
        )
        assert pending["attempts"][0]["status_code"] == 500
        server.stop() if how == "stop" else server.kill()
        receiver.then = 200

        restarted = start_server(data_dir=data_dir, env=env)
        delivered = wait_for_delivery(
            restarted, restarted.api_key, hook["id"], request_id, timeout=60
        )
        statuses = [a["status_code"] for a in delivered["attempts"]]
        assert statuses[-1] == 200 and set(statuses[:-1]) == {500}
        assert len(statuses) > len(pending["attempts"])
        assert [r.answered for r in receiver.of(request_id)].count(200) == 1


def test_a_call_stored_at_shutdown_is_delivered_after_restart(start_server, tmp_path):
    """Rows flushed by a clean stop still queue their deliveries for the next start."""
    env = {**FAST_RETRIES, "HELIOGRAPH_LOG_BATCH_MS": "60000"}
    data_dir = tmp_path / "shutdown"
    server = start_server(data_dir=data_dir, env=env)
    with Receiver() as receiver:
        hook = create_webhook(server, server.api_key, receiver.url, config={})
        request_id = logged_call(server, server.api_key)  # waits in the batch for a minute
        server.stop()
        restarted = start_server(data_dir=data_dir, env=env)
        wait_for_delivery(restarted, restarted.api_key, hook["id"], request_id)
        assert len(receiver.of(request_id)) == 1


def test_deleting_a_webhook_stops_its_deliveries(hook_server: HeliographProcess):
    key = new_org(hook_server, "wh-delete")
    with Receiver(then=500) as receiver, Receiver() as other:
        doomed = create_webhook(hook_server, key, receiver.url, config={})
        kept = create_webhook(hook_server, key, other.url, config={})
        first = logged_call(hook_server, key)
        receiver.wait_until(lambda r: len(r.of(first)) >= 1)
        with hook_server.api(key) as client:
            assert client.delete(f"/v1/webhooks/{doomed['id']}").status_code == 200
        count = len(receiver.received)
        second = logged_call(hook_server, key)
        other.wait_until(lambda r: len(r.of(second)) == 1)
        wait_for_delivery(hook_server, key, kept["id"], second)
        assert receiver.of(second) == []
        # At most one attempt was already in flight when the webhook went away.
        assert len(receiver.received) <= count + 1


def test_secrets_never_reach_the_server_log(hook_server: HeliographProcess):
    key = new_org(hook_server, "wh-secret")
    token = "T0KEN" + uuid.uuid4().hex
    with Receiver(statuses=[500]) as receiver:
        hook = create_webhook(hook_server, key, f"{receiver.url}?token={token}", config={})
        request_id = logged_call(hook_server, key)
        wait_for_delivery(hook_server, key, hook["id"], request_id)
        assert receiver.of(request_id)[-1].path == f"/hook?token={token}"
    log = hook_server.log()
    assert hook["hmac_key"] not in log
    assert token not in log
    assert key not in log


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_delivers_with_postgresql_metadata(start_server, database_url: str):
    server = start_server(env={**FAST_RETRIES, "HELIOGRAPH_DATABASE_URL": database_url})
    with Receiver(statuses=[502]) as receiver:
        hook = create_webhook(server, server.api_key, receiver.url, config={})
        request_id = logged_call(server, server.api_key)
        delivered = wait_for_delivery(server, server.api_key, hook["id"], request_id)
        assert [a["status_code"] for a in delivered["attempts"]] == [502, 200]
        sent = receiver.of(request_id)[-1]
        assert sent.headers["Helicone-Signature"] == sign(hook["hmac_key"], sent.body)


def test_helicone_webhook_enabled_neither_skips_nor_forces(hook_server: HeliographProcess):
    # Helicone's log pipeline once sent webhooks only for calls with Helicone-Webhook-Enabled:
    # true; today it sends every call to every webhook, whatever the header says.
    key = new_org(hook_server, "wh-enabled")
    with Receiver() as receiver:
        create_webhook(hook_server, key, receiver.url, config={})
        off = logged_call(hook_server, key, **{"Helicone-Webhook-Enabled": "false"})
        on = logged_call(hook_server, key, **{"Helicone-Webhook-Enabled": "true"})
        receiver.wait_until(lambda r: len(r.of(off)) == 1 and len(r.of(on)) == 1)
