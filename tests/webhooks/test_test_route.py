"""POST /v1/webhooks/{id}/test: one signed test delivery sent now through the delivery
machinery (outbound policy, signing), answered with what the destination did."""

from __future__ import annotations

import uuid

from heliograph.webhooks.payload import TEST_PROPERTY
from heliograph.webhooks.signing import sign
from tests.inprocess import InProcessServer
from tests.server import HeliographProcess
from tests.webhooks.helpers import create_webhook, deliveries, new_org
from tests.webhooks.receiver import Receiver


def _test(server: HeliographProcess | InProcessServer, key: str, webhook_id: str) -> dict:
    with server.api(key) as client:
        answer = client.post(f"/v1/webhooks/{webhook_id}/test")
    assert answer.status_code == 200, answer.text
    assert answer.json()["error"] is None
    data: dict = answer.json()["data"]
    return data


def test_a_test_delivery_is_signed_and_answered(hook_server: HeliographProcess):
    key = new_org(hook_server, "wh-test")
    with Receiver() as receiver:
        hook = create_webhook(hook_server, key, receiver.url, config={})
        result = _test(hook_server, key, hook["id"])
        assert result == {
            "webhook_id": hook["id"],
            "request_id": result["request_id"],
            "delivered": True,
            "status_code": 200,
            "error": None,
            "duration_ms": result["duration_ms"],
        }
        (sent,) = receiver.of(result["request_id"])
    assert sent.headers["Helicone-Signature"] == sign(hook["hmac_key"], sent.body)
    payload = sent.json
    assert payload["request_id"] == result["request_id"]
    assert payload["properties"] == {TEST_PROPERTY: "true"}
    assert {"request_body", "response_body", "model", "provider", "metadata"} <= set(payload)
    # A test is not queued, retried or logged with the real deliveries.
    assert deliveries(hook_server, key, hook["id"]) == []


def test_a_failing_destination_is_answered_not_retried(hook_server: HeliographProcess):
    key = new_org(hook_server, "wh-test-fail")
    with Receiver(then=500) as receiver:
        hook = create_webhook(hook_server, key, receiver.url, config={}, includeData=False)
        result = _test(hook_server, key, hook["id"])
        assert (result["delivered"], result["status_code"], result["error"]) == (
            False,
            500,
            "HTTP 500",
        )
        assert len(receiver.of(result["request_id"])) == 1
        assert "properties" not in receiver.of(result["request_id"])[0].json  # includeData off


def test_an_unreachable_destination_and_other_organizations(app_server: InProcessServer):
    first, second = new_org(app_server, "wh-test-a"), new_org(app_server, "wh-test-b")
    # The shared settings allow this address only: nothing listens there.
    hook = create_webhook(app_server, first, "http://127.0.0.1:9/hook", config={})
    result = _test(app_server, first, hook["id"])
    assert result["delivered"] is False and result["status_code"] is None
    assert result["error"]
    for webhook_id in (hook["id"], str(uuid.uuid4()), "not-an-id"):
        with app_server.api(second) as client:
            answer = client.post(f"/v1/webhooks/{webhook_id}/test")
        assert answer.status_code == 404
        assert answer.json() == {"data": None, "error": "Webhook not found"}
