"""The setting that turns Python evaluators off: the test endpoint refuses them (403) and
/healthz says so. (A module of its own: one in-process app at a time.)"""

from __future__ import annotations

import pytest

from heliograph.mock_provider import FakeProvider
from tests.evaluators.helpers import in_process_app

TEST_INPUT = {"inputBody": "{}", "outputBody": "{}"}


def test_python_evaluators_can_be_turned_off(
    fake_provider: FakeProvider, tmp_path_factory: pytest.TempPathFactory
):
    for off in in_process_app(
        fake_provider, tmp_path_factory, "python-off", HELIOGRAPH_PYTHON_EVALUATORS_ENABLED="false"
    ):
        with off.api() as client:
            body = {
                "code": "def evaluate(request, response):\n    return 1",
                "testInput": TEST_INPUT,
            }
            refused = client.post("/v1/evaluator/python/test", json=body)
        assert refused.status_code == 403
        assert "turned off" in refused.json()["error"]
        assert off.request("GET", "/healthz").json()["online_evaluation"]["python_sandbox"] == "off"
