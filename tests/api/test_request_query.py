"""The request query API: the custom-properties seed examples, verbatim filters (in-process)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
import pytest

from tests.inprocess import InProcessServer


@dataclass
class Seeded:
    server: InProcessServer
    other_key: str
    ids: dict[str, str] = field(default_factory=dict)  # label -> request id (org A)
    other_ids: list[str] = field(default_factory=list)  # org B

    def query(
        self, body: Any, key: str | None = None, path: str = "query-clickhouse"
    ) -> httpx.Response:
        with self.server.api(key) as client:
            return client.post(f"/v1/request/{path}", json=body)

    def found(self, body: Any, key: str | None = None) -> set[str]:
        response = self.query(body, key)
        assert response.status_code == 200, response.text
        return {row["request_id"] for row in response.json()["data"]}

    def labels(self, *names: str) -> set[str]:
        return {self.ids[name] for name in names}


def _send(
    server: InProcessServer, key: str, headers: dict[str, str], model: str = "gpt-4o-mini"
) -> str:
    request_id = str(uuid.uuid4())
    response = server.request(
        "POST",
        "/openai/v1/chat/completions",
        headers={"Helicone-Auth": f"Bearer {key}", "Helicone-Request-Id": request_id, **headers},
        json={"model": model, "messages": [{"role": "user", "content": "Hello, how are you?"}]},
    )
    assert response.status_code == 200
    return request_id


@pytest.fixture(scope="module")
def seeded(app_server: InProcessServer) -> Iterator[Seeded]:
    server = app_server  # this module's own: its bootstrap organization holds only these rows
    data = Seeded(server, server.create_key("other-org"))

    # Seed 000, Python example, verbatim but for the base URL and key.
    client = openai.OpenAI(
        api_key="YOUR_API_KEY",
        base_url=server.url + "/openai/v1",
        http_client=server.client(),
        default_headers={
            "Helicone-Auth": f"Bearer {server.api_key}",
            "Helicone-Property-App": "idea_generator",
            "Helicone-Property-Environment": "production",
        },
    )
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "Generate ideas for a mobile app."}],
        extra_headers={
            "Helicone-Property-Category": "mobile",
            "Helicone-Property-UserType": "developer",
            "Helicone-Property-RequestPhase": "ideation",
        },
    )
    data.ids["ideas"] = raw.headers["helicone-id"]

    key = server.api_key
    seeds = {
        "prod": (
            {
                "Helicone-Property-Environment": "production",
                "Helicone-Property-Version": "v2.1.0",
                "Helicone-Property-Region": "us-east-1",
            },
            "gpt-4o-mini",
        ),
        "staging": (
            {
                "Helicone-Property-Environment": "staging",
                "Helicone-Property-Version": "v2.2.0-beta",
                "Helicone-Property-Region": "us-west-2",
            },
            "gpt-4o-mini",
        ),
        "dev": (
            {"Helicone-Property-Environment": "development", "Helicone-Property-Region": "local"},
            "gpt-4o",
        ),
        "support": (
            {
                "Helicone-Property-Conversation": "support_issue_2",
                "Helicone-Property-App": "mobile",
                "Helicone-Property-Environment": "production",
            },
            "gpt-4o-mini",
        ),
        "ticket1": (
            {
                "Helicone-Property-TicketId": "TICKET-12345",
                "Helicone-Property-Priority": "medium",
                "Helicone-User-Id": "abc@email.com",
            },
            "gpt-4-turbo",
        ),
        "ticket2": (
            {
                "Helicone-Property-TicketId": "TICKET-12345",
                "Helicone-Property-Priority": "high",
                "Helicone-User-Id": "abc@email.com",
            },
            "gpt-4o",
        ),
        "plain": ({"Helicone-User-Id": "zoe"}, "claude-3-5-haiku-20241022"),
        "quote": ({"Helicone-Property-Note": "it's ' OR 1=1 --"}, "gpt-4o-mini"),
    }
    for label, (headers, model) in seeds.items():
        data.ids[label] = _send(server, key, headers, model)
    for i in range(9):
        data.ids[f"page{i}"] = _send(
            server, key, {"Helicone-Property-Batch": "paging", "Helicone-Property-Rank": f"r{i}"}
        )
    for _ in range(3):
        data.other_ids.append(
            _send(
                server,
                data.other_key,
                {"Helicone-Property-Environment": "production", "Helicone-Property-App": "mobile"},
            )
        )
    server.wait_for_request(data.ids["page8"])
    server.wait_for_request(data.other_ids[-1], key=data.other_key)
    client.close()
    yield data


def prop(name: str, op: str, value: Any) -> dict[str, Any]:
    return {"request_response_rmt": {"properties": {name: {op: value}}}}


def branch(left: Any, operator: str, right: Any) -> dict[str, Any]:
    return {"left": left, "operator": operator, "right": right}


def test_simple_property_filter_seed_example(seeded: Seeded):
    body = {"filter": prop("Environment", "equals", "production"), "limit": 100}
    assert seeded.found(body) == seeded.labels("ideas", "prod", "support")


def test_property_names_match_case_insensitively(seeded: Seeded):
    # the openai SDK sent "helicone-property-environment"; docs query "Environment"
    assert seeded.found({"filter": prop("ENVIRONMENT", "equals", "production")}) == seeded.labels(
        "ideas", "prod", "support"
    )


def test_multiple_property_filters_seed_example(seeded: Seeded):
    body = {
        "filter": branch(
            prop("Environment", "equals", "production"), "and", prop("App", "equals", "mobile")
        ),
        "limit": 100,
    }
    assert seeded.found(body) == seeded.labels("support")


def test_properties_with_date_range_seed_example(seeded: Seeded):
    body = {
        "filter": branch(
            {"request_response_rmt": {"request_created_at": {"gte": "2024-01-01T00:00:00Z"}}},
            "and",
            prop("Conversation", "equals", "support_issue_2"),
        ),
        "limit": 100,
    }
    assert seeded.found(body) == seeded.labels("support")


def test_date_range_bounds(seeded: Seeded):
    everything = seeded.found({"filter": "all", "limit": 1000})
    inside = branch(
        {"request_response_rmt": {"request_created_at": {"gte": "2024-08-01T00:00:00Z"}}},
        "and",
        {"request_response_rmt": {"request_created_at": {"lte": "2099-08-31T23:59:59Z"}}},
    )
    assert seeded.found({"filter": inside, "limit": 1000}) == everything
    future = {"request_response_rmt": {"request_created_at": {"gt": "2099-01-01T00:00:00Z"}}}
    assert seeded.found({"filter": future}) == set()


def test_unwrapped_properties_form_returns_the_right_rows(seeded: Seeded):
    # Helicone's docs warn this form returns nothing; Heliograph answers it correctly.
    body = {"filter": {"properties": {"TicketId": {"equals": "TICKET-12345"}}}}
    assert seeded.found(body) == seeded.labels("ticket1", "ticket2")
    assert seeded.found(body) == {
        r["request_id"] for r in seeded.query(body, path="query").json()["data"]
    }


def test_model_and_user_combination(seeded: Seeded):
    body = {
        "filter": branch(
            {"request_response_rmt": {"model": {"contains": "gpt-4"}}},
            "and",
            {"request_response_rmt": {"user_id": {"equals": "abc@email.com"}}},
        )
    }
    assert seeded.found(body) == seeded.labels("ticket1", "ticket2")


def test_or_and_nested_branches(seeded: Seeded):
    either = branch(
        prop("Environment", "equals", "staging"), "or", prop("Environment", "equals", "development")
    )
    assert seeded.found({"filter": either}) == seeded.labels("staging", "dev")
    narrowed = branch(either, "and", {"request_response_rmt": {"model": {"equals": "gpt-4o"}}})
    assert seeded.found({"filter": narrowed}) == seeded.labels("dev")
    excluded = branch(
        prop("TicketId", "equals", "TICKET-12345"), "and", prop("Priority", "not-equals", "high")
    )
    assert seeded.found({"filter": excluded}) == seeded.labels("ticket1")


def test_pagination_is_stable_and_complete(seeded: Seeded):
    paging = prop("Batch", "equals", "paging")
    pages = []
    for offset in range(0, 9, 2):
        response = seeded.query(
            {"filter": paging, "limit": 2, "offset": offset, "sort": {"created_at": "desc"}}
        )
        pages.append([row["request_id"] for row in response.json()["data"]])
    flat = [rid for page in pages for rid in page]
    assert len(flat) == len(set(flat)) == 9
    assert set(flat) == {seeded.ids[f"page{i}"] for i in range(9)}


def test_sort_by_property(seeded: Seeded):
    body = {"filter": prop("Batch", "equals", "paging"), "sort": {"properties": {"Rank": "desc"}}}
    rows = seeded.query(body).json()["data"]
    assert [row["request_properties"]["Rank"] for row in rows] == [
        f"r{i}" for i in range(8, -1, -1)
    ]


def test_other_org_sees_only_its_rows(seeded: Seeded):
    body = {"filter": prop("Environment", "equals", "production")}
    assert seeded.found(body, key=seeded.other_key) == set(seeded.other_ids)
    assert seeded.found({"filter": "all", "limit": 1000}, key=seeded.other_key) == set(
        seeded.other_ids
    )
    with seeded.server.api(seeded.other_key) as client:
        assert client.get(f"/v1/request/{seeded.ids['prod']}").status_code == 404


def test_sql_looking_values_are_just_values(seeded: Seeded):
    assert seeded.found({"filter": prop("Note", "equals", "it's ' OR 1=1 --")}) == seeded.labels(
        "quote"
    )
    assert seeded.found({"filter": prop("Environment", "equals", "' OR 1=1 --")}) == set()
    assert (
        seeded.found(
            {"filter": {"request_response_rmt": {"model": {"equals": "x'); DROP TABLE t; --"}}}}
        )
        == set()
    )
    assert seeded.found({"filter": prop("'] OR 1=1 --", "equals", "x")}) == set()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"filter": {"nope": {"model": {"equals": "x"}}}}, "Unknown filter table 'nope'"),
        (
            {"filter": {"request_response_rmt": {"colour": {"equals": "x"}}}},
            "request_response_rmt.colour",
        ),
        (
            {"filter": {"request_response_rmt": {"model": {"gt": "x"}}}},
            "Operator 'gt' does not apply to model",
        ),
        (
            {"filter": {"request_response_rmt": {"latency": {"equals": "fast"}}}},
            "latency needs a number",
        ),
        (
            {"filter": {"request_response_rmt": {"request_created_at": {"gte": "yesterday"}}}},
            "Not a timestamp",
        ),
        ({"filter": {"left": "all", "operator": "xor", "right": "all"}}, "filter branch"),
        ({"filter": 42}, "Filter node must be an object"),
        ({"filter": "all", "limit": 1001}, "invalid limit"),
        ({"filter": "all", "limit": -1}, "invalid limit"),
        ({"filter": "all", "offset": "ten"}, "offset"),
        ({"filter": "all", "sort": {"created_at": "sideways"}}, "Sort direction"),
        ({"filter": "all", "sort": {"nonsense": "asc"}}, "Cannot sort by 'nonsense'"),
    ],
)
def test_bad_queries_are_clear_400s(seeded: Seeded, body: Any, message: str):
    response = seeded.query(body)
    assert response.status_code == 400, response.text
    assert response.json()["data"] is None
    assert message in response.json()["error"]


def test_malformed_json_and_huge_filters(seeded: Seeded):
    with seeded.server.api() as client:
        response = client.post(
            "/v1/request/query-clickhouse",
            content=b'{"filter": ',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 400 and response.json()["data"] is None
    deep: Any = "all"
    for _ in range(200):
        deep = branch(deep, "and", "all")
    response = seeded.query({"filter": deep})
    assert response.status_code == 400 and "deeper than" in response.json()["error"]
    wide: Any = prop("App", "equals", "x")
    for i in range(600):
        wide = (
            {"left": wide, "operator": "or", "right": prop("App", "equals", str(i))}
            if i % 2
            else branch(prop("App", "equals", str(i)), "or", wide)
        )
    response = seeded.query({"filter": wide})
    assert response.status_code == 400


def test_query_without_auth_is_401(seeded: Seeded):
    response = seeded.server.request("POST", "/v1/request/query-clickhouse", json={"filter": "all"})
    assert response.status_code == 401
    assert response.json()["data"] is None


def test_rows_have_helicone_request_shape(seeded: Seeded):
    (row,) = seeded.query(
        {"filter": {"request_response_rmt": {"request_id": {"equals": seeded.ids["ideas"]}}}}
    ).json()["data"]
    assert row["request_model"] == "gpt-4"
    assert row["request_properties"] == {
        "app": "idea_generator",
        "environment": "production",
        "category": "mobile",
        "usertype": "developer",
        "requestphase": "ideation",
    }
    for name in (
        "response_status",
        "delay_ms",
        "total_tokens",
        "cost",
        "provider",
        "request_body",
        "response_body",
    ):
        assert name in row
