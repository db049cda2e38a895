"""Scores (and feedback, the `helicone-score-feedback` score) on logged requests.

Integer scores (booleans as 1/0, feedback) live in the row's `scores`
Map(LowCardinality(String), Int64), exactly as in Helicone, so HQL written for Helicone reads
them unchanged. Fractional scores (a Ragas similarity of 0.87) live in `score_values`
Map(LowCardinality(String), Float64). A name is in one of the two maps: writing it removes it
from the other, so the newest write wins. Readers use EFFECTIVE_SCORES, the union.

Adding scores writes a new version of the row, copied inside ClickHouse from the newest
version, so properties, feedback and scores written by concurrent calls (serialized by the
engine) never lose one another.
"""

from __future__ import annotations

from collections.abc import Mapping

from heliograph.store.engine import ClickHouseEngine
from heliograph.store.newest import newest_rows
from heliograph.store.params import Params
from heliograph.store.row_versions import write_new_version

TABLE = "request_response_rmt"
# Every score of a row as Map(String, Float64): the SQL that filters, evals and dashboards read.
EFFECTIVE_SCORES = "mapUpdate(CAST(scores, 'Map(LowCardinality(String), Float64)'), score_values)"
# Whether a row has any score (cheaper than notEmpty(EFFECTIVE_SCORES)).
SCORED = "(notEmpty(scores) OR notEmpty(score_values))"


async def request_logged(engine: ClickHouseEngine, organization_id: str, request_id: str) -> bool:
    """Whether the organization has a stored row for this request id."""
    rows = await engine.select(
        f"SELECT 1 AS found FROM {TABLE} WHERE organization_id = {{org:UUID}} "
        "AND request_id = {id:UUID} LIMIT 1",
        {"org": organization_id, "id": request_id},
    )
    return bool(rows)


async def add_scores(
    engine: ClickHouseEngine,
    organization_id: str,
    request_id: str,
    scores: Mapping[str, int | float],
) -> None:
    """Write a new version of the request with `scores` merged over its existing scores.

    `int` values go to `scores`, `float` values to `score_values`; each name is removed from
    the other map. Does nothing when the request is not stored: check with `request_logged`.
    """
    integers = {name: value for name, value in scores.items() if isinstance(value, int)}
    fractions = {name: value for name, value in scores.items() if not isinstance(value, int)}
    await write_new_version(
        engine,
        organization_id,
        request_id,
        "mapUpdate(mapFilter((k, v) -> NOT has({fraction_names:Array(String)}, k), scores), "
        "CAST({integers:Map(String, Int64)}, 'Map(LowCardinality(String), Int64)')) AS scores, "
        "mapUpdate(mapFilter((k, v) -> NOT has({integer_names:Array(String)}, k), score_values), "
        "CAST({fractions:Map(String, Float64)}, 'Map(LowCardinality(String), Float64)')) "
        "AS score_values",
        {
            "integers": integers,
            "fractions": fractions,
            "integer_names": list(integers),
            "fraction_names": list(fractions),
        },
    )


async def score_names(engine: ClickHouseEngine, organization_id: str) -> list[str]:
    """Every score name used on the organization's requests (newest versions), sorted."""
    params = Params()
    source = await newest_rows(engine, organization_id, params, SCORED)
    rows = await engine.select(
        f"SELECT DISTINCT arrayJoin(mapKeys({EFFECTIVE_SCORES})) AS name FROM {source} "
        "ORDER BY name",
        params.values,
    )
    return [row["name"] for row in rows]
