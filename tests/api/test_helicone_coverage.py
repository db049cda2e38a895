"""How much of Helicone's REST API (Jawn's OpenAPI document) Heliograph's /openapi.json serves.

tests/helicone_swagger.json holds the operations of Helicone's `docs/swagger.json` (its
source, commit and date are recorded in it). An operation is its method and path, path
parameters normalised (`/v1/request/{requestId}` and `/v1/request/{request_id}` are one).
The test prints what is covered and what is not, and fails when an operation Heliograph
served before (COVERED_FLOOR) is gone. Raise the floor when a route is added.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.inprocess import InProcessServer

SWAGGER = Path(__file__).parents[1] / "helicone_swagger.json"

# Families left out of the count, and why. Prompts, datasets, evaluators and experiments have
# their own issues but are implemented, so they count; so do Helicone's public provider status
# and model comparison, which Heliograph serves over its own requests.
EXCLUDED_PREFIXES: dict[str, str] = {
    "/v1/stripe/": "Helicone Cloud's billing (Stripe subscriptions, invoices, add-ons)",
    "/v1/public/waitlist/": "Helicone Cloud's sign-up waitlist",
    "/v1/public/dataisbeautiful/": "Helicone's public statistics across all its customers",
    "/v1/public/security": "Helicone Cloud's hosted prompt-injection classifier",
    "/v1/public/pi/": "Helicone's office TV dashboard (PI) pairing",
    "/v1/pi/": "Helicone's office TV dashboard (PI)",
}

# Every Helicone operation Heliograph's /openapi.json listed when this floor was last raised.
COVERED_FLOOR: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/v1/api-keys"),
        ("POST", "/v1/api-keys"),
        ("DELETE", "/v1/api-keys/{}"),
        ("POST", "/v1/dashboard/scores/query"),
        ("POST", "/v1/evals/query"),
        ("POST", "/v1/evals/score-distributions/query"),
        ("GET", "/v1/evals/scores"),
        ("POST", "/v1/evals/{}"),
        ("POST", "/v1/evaluator"),
        ("POST", "/v1/evaluator/llm/test"),
        ("POST", "/v1/evaluator/python/test"),
        ("POST", "/v1/evaluator/query"),
        ("DELETE", "/v1/evaluator/{}"),
        ("GET", "/v1/evaluator/{}"),
        ("PUT", "/v1/evaluator/{}"),
        ("GET", "/v1/evaluator/{}/experiments"),
        ("GET", "/v1/evaluator/{}/onlineEvaluators"),
        ("POST", "/v1/evaluator/{}/onlineEvaluators"),
        ("DELETE", "/v1/evaluator/{}/onlineEvaluators/{}"),
        ("GET", "/v1/evaluator/{}/stats"),
        ("POST", "/v1/experiment/dataset"),
        ("POST", "/v1/experiment/dataset/query"),
        ("POST", "/v1/experiment/dataset/random"),
        ("POST", "/v1/experiment/dataset/{}/inputs/query"),
        ("POST", "/v1/experiment/dataset/{}/mutate"),
        ("POST", "/v1/helicone-dataset"),
        ("POST", "/v1/helicone-dataset/query"),
        ("POST", "/v1/helicone-dataset/{}/count"),
        ("POST", "/v1/helicone-dataset/{}/mutate"),
        ("POST", "/v1/helicone-dataset/{}/query"),
        ("POST", "/v1/helicone-dataset/{}/request/{}"),
        ("GET", "/v1/models"),
        ("POST", "/v1/prompt/query"),
        ("GET", "/v1/prompt/version/{}"),
        ("POST", "/v1/prompt/version/{}/inputs/query"),
        ("POST", "/v1/prompt/{}/compile"),
        ("POST", "/v1/prompt/{}/query"),
        ("POST", "/v1/prompt/{}/versions/query"),
        ("POST", "/v1/property/query"),
        ("POST", "/v1/property/{}/search"),
        ("POST", "/v1/property/{}/top-costs/query"),
        ("POST", "/v1/public/compare/models"),
        ("GET", "/v1/public/status/provider"),
        ("GET", "/v1/public/status/provider/{}"),
        ("POST", "/v1/request/query"),
        ("POST", "/v1/request/query-clickhouse"),
        ("POST", "/v1/request/query-ids"),
        ("GET", "/v1/request/{}"),
        ("POST", "/v1/request/{}/assets/{}"),
        ("POST", "/v1/request/{}/feedback"),
        ("PUT", "/v1/request/{}/property"),
        ("POST", "/v1/request/{}/score"),
        ("POST", "/v1/session/metrics/query"),
        ("POST", "/v1/session/name/query"),
        ("POST", "/v1/session/query"),
        ("POST", "/v1/session/{}/feedback"),
        ("POST", "/v1/trace/log"),
        ("POST", "/v1/user/metrics-overview/query"),
        ("POST", "/v1/user/metrics/query"),
        ("POST", "/v1/user/query"),
        ("GET", "/v1/webhooks"),
        ("POST", "/v1/webhooks"),
        ("DELETE", "/v1/webhooks/{}"),
        ("GET", "/v2/experiment"),
        ("POST", "/v2/experiment/create/empty"),
        ("POST", "/v2/experiment/create/from-request/{}"),
        ("POST", "/v2/experiment/new"),
        ("DELETE", "/v2/experiment/{}"),
        ("GET", "/v2/experiment/{}"),
        ("POST", "/v2/experiment/{}/add-manual-row"),
        ("POST", "/v2/experiment/{}/add-manual-rows-batch"),
        ("GET", "/v2/experiment/{}/evaluators"),
        ("POST", "/v2/experiment/{}/evaluators"),
        ("POST", "/v2/experiment/{}/evaluators/run"),
        ("DELETE", "/v2/experiment/{}/evaluators/{}"),
        ("GET", "/v2/experiment/{}/input-keys"),
        ("POST", "/v2/experiment/{}/prompt-version"),
        ("DELETE", "/v2/experiment/{}/prompt-version/{}"),
        ("GET", "/v2/experiment/{}/prompt-versions"),
        ("POST", "/v2/experiment/{}/row/insert/batch"),
        ("POST", "/v2/experiment/{}/row/insert/dataset/{}"),
        ("POST", "/v2/experiment/{}/row/update"),
        ("DELETE", "/v2/experiment/{}/rows"),
        ("POST", "/v2/experiment/{}/run-hypothesis"),
        ("GET", "/v2/experiment/{}/should-run-evaluators"),
        ("GET", "/v2/experiment/{}/{}/scores"),
        ("GET", "/v2/experiment/{}/{}/{}"),
    }
)


def normalised(path: str) -> str:
    """The path with every path parameter written `{}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def helicone_operations() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Helicone's operations counted, and those left out, as (METHOD, normalised path)."""
    document = json.loads(SWAGGER.read_text())
    counted: set[tuple[str, str]] = set()
    excluded: set[tuple[str, str]] = set()
    for method, path, _tag in document["operations"]:
        operation = (method.upper(), normalised(path))
        (excluded if path.startswith(tuple(EXCLUDED_PREFIXES)) else counted).add(operation)
    return counted, excluded


def served_operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {
        (method.upper(), normalised(path))
        for path, item in paths.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


@pytest.fixture(scope="module")
def served(app_server: InProcessServer) -> set[tuple[str, str]]:
    response = app_server.request("GET", "/openapi.json")
    assert response.status_code == 200
    return served_operations(response.json())


def test_the_extract_is_helicones_document():
    document = json.loads(SWAGGER.read_text())
    assert document["path"] == "docs/swagger.json"
    assert re.fullmatch(r"[0-9a-f]{40}", document["commit"])
    operations = [(method, path) for method, path, _tag in document["operations"]]
    assert len(operations) == len(set(operations)) == 177
    assert ("post", "/v1/request/query-clickhouse") in operations


def test_coverage_of_helicones_rest_api(served: set[tuple[str, str]]):
    counted, excluded = helicone_operations()
    covered = counted & served
    missing = counted - served
    print(f"\nHelicone operations served: {len(covered)}/{len(counted)}")
    print(f"Left out ({len(excluded)}): " + ", ".join(sorted(EXCLUDED_PREFIXES)))
    print("Not served:\n  " + "\n  ".join(f"{m} {p}" for m, p in sorted(missing, key=_by_path)))
    gone = COVERED_FLOOR - served
    assert not gone, f"Helicone operations Heliograph served before are gone: {sorted(gone)}"
    assert COVERED_FLOOR <= counted, "the floor names only counted Helicone operations"


def _by_path(operation: tuple[str, str]) -> tuple[str, str]:
    return operation[1], operation[0]
