"""/healthz: liveness and the log pipeline's counters, on the in-process app (this module's
own, so the counters hold only this test's calls)."""

from __future__ import annotations

import time
import uuid

from tests.inprocess import InProcessServer


def test_health_counts_logged_rows_until_none_wait(app_server: InProcessServer):
    server = app_server
    request_ids = [str(uuid.uuid4()) for _ in range(3)]
    for request_id in request_ids:
        answer = server.request(
            "POST",
            "/openai/v1/chat/completions",
            headers={
                **server.auth,
                "Authorization": "Bearer sk-provider-key-for-upstream",
                "Helicone-Request-Id": request_id,
            },
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert answer.status_code == 200, answer.text
    for request_id in request_ids:
        server.wait_for_request(request_id)
    deadline = time.monotonic() + 15
    while True:
        pipeline = server.request("GET", "/healthz").json()["log_pipeline"]
        if pipeline["backlog_rows"] == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert pipeline["submitted"] == 3
    assert pipeline["stored"] + pipeline["replayed"] == 3
    assert pipeline["backlog_rows"] == 0
    assert pipeline["backlog_segments"] == 0
    assert pipeline["store_level"] in (0, 1, 2)
