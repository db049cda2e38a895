"""What an experiment's calls gave, read from the log store: each output's answer, status,
cost, latency, tokens and scores, and a summary per prompt version.

Outputs are read by request id (a page of the table at a time). The summary reads every
call tagged with the experiment's property (`Helicone-Experiment-Id`), each request's
newest version, so it counts what the experiment spent, retried calls included.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from heliograph.costs.catalog import COST_PRECISION_MULTIPLIER
from heliograph.experiments.rules import EXPERIMENT_PROPERTY
from heliograph.store.engine import ClickHouseEngine
from heliograph.store.newest import NEWEST_FIRST, newest_rows
from heliograph.store.params import Params

MAX_OUTPUT_CHARS = 4_000  # of each answer's text in the table
MAX_READ_CHARS = 64 * 1024  # of each response body read to find that text


def answer_text(response_body: str) -> str:
    """The answer's text: a chat completion's first message, else the body as it is."""
    try:
        body = orjson.loads(response_body)
        message = body["choices"][0]["message"]
        content = message.get("content")
        if isinstance(content, str):
            return content[:MAX_OUTPUT_CHARS]
        if message.get("tool_calls"):
            return orjson.dumps(message["tool_calls"]).decode()[:MAX_OUTPUT_CHARS]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
        pass
    return response_body[:MAX_OUTPUT_CHARS]


def _call(row: dict[str, Any]) -> dict[str, Any]:
    scores: dict[str, float] = {**row["scores"], **row["score_values"]}
    return {
        "status": int(row["status"]),
        "model": row["model"],
        "output": answer_text(str(row["response"])),
        "cost": int(row["cost"]) / COST_PRECISION_MULTIPLIER,
        "latency_ms": row["latency"],
        "prompt_tokens": row["prompt_tokens"],
        "completion_tokens": row["completion_tokens"],
        "cache_hit": bool(row["cache_hit"]),
        "scores": scores,
    }


async def calls_of(
    engine: ClickHouseEngine, organization_id: str, request_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Each logged call among `request_ids` (newest version), by request id."""
    ids = list(dict.fromkeys(request_ids))
    if not ids:
        return {}
    rows = await engine.select(
        "SELECT toString(request_id) AS id, status, model, cost, latency, prompt_tokens, "
        f"completion_tokens, substringUTF8(response_body, 1, {MAX_READ_CHARS}) AS response, "
        "scores, score_values, cache_reference_id != toUUID('00000000-0000-0000-0000-"
        "000000000000') AS cache_hit FROM request_response_rmt "
        "WHERE organization_id = {org:UUID} AND request_id IN {ids:Array(UUID)} "
        f"{NEWEST_FIRST} LIMIT 1 BY request_id",
        {"org": organization_id, "ids": ids},
    )
    return {str(row["id"]): _call(row) for row in rows}


async def summary(
    engine: ClickHouseEngine, organization_id: str, experiment_id: str
) -> dict[str, dict[str, Any]]:
    """Per prompt version: calls, successes, cost, mean latency, tokens and mean scores."""
    params = Params()
    where = f"properties[{params.add(EXPERIMENT_PROPERTY, 'String')}] = " + params.add(
        experiment_id, "String"
    )
    source = await newest_rows(engine, organization_id, params, where)
    totals = await engine.select(
        "SELECT prompt_version, count() AS calls, countIf(status >= 200 AND status < 300) "
        "AS succeeded, sum(cost) AS cost, avg(latency) AS latency, "
        "sum(ifNull(prompt_tokens, 0)) AS prompt_tokens, "
        "sum(ifNull(completion_tokens, 0)) AS completion_tokens "
        f"FROM {source} GROUP BY prompt_version",
        params.values,
    )
    scores = await engine.select(
        "SELECT prompt_version, name, avg(value) AS mean, min(value) AS low, "
        "max(value) AS high, count() AS scored FROM (SELECT prompt_version, "
        "arrayJoin(arrayConcat(arrayZip(mapKeys(scores), arrayMap(v -> toFloat64(v), "
        "mapValues(scores))), arrayZip(mapKeys(score_values), mapValues(score_values)))) "
        f"AS pair, pair.1 AS name, pair.2 AS value FROM {source}) "
        "GROUP BY prompt_version, name ORDER BY name",
        params.values,
    )
    found: dict[str, dict[str, Any]] = {}
    for row in totals:
        found[str(row["prompt_version"])] = {
            "calls": int(row["calls"]),
            "succeeded": int(row["succeeded"]),
            "cost": int(row["cost"]) / COST_PRECISION_MULTIPLIER,
            "mean_latency_ms": row["latency"],
            "prompt_tokens": int(row["prompt_tokens"]),
            "completion_tokens": int(row["completion_tokens"]),
            "scores": {},
        }
    for row in scores:
        version = found.get(str(row["prompt_version"]))
        if version is not None:
            version["scores"][row["name"]] = {
                "mean": row["mean"],
                "min": row["low"],
                "max": row["high"],
                "count": int(row["scored"]),
            }
    return found
