"""REST: sessions (query, count, names, metrics, feedback) and one session's request tree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.auth import Caller
from heliograph.api.fair_reads import Reader
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.schemas.sessions import (
    MINUTES_IN_DAY,
    SessionDetail,
    SessionFeedback,
    SessionMetrics,
    SessionMetricsQueryParams,
    SessionNameQueryParams,
    SessionNameResult,
    SessionQueryParams,
    SessionResult,
    SessionTag,
)
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.store.session_tags import session_tag, tag_session
from heliograph.store.session_tree import build_tree
from heliograph.store.sessions import (
    SessionScope,
    count_sessions,
    get_session,
    query_sessions,
    rate_session,
    session_metrics,
    session_names,
    session_requests,
)

router = APIRouter(tags=["Session"])
SESSION_NOT_FOUND = "Session not found"
MAX_TREE_REQUESTS = 10_000
MAX_NAMES = 50  # as many as Helicone answers


def _engine(request: Request) -> Any:
    return services_of(request).engine


def _check_timezone(minutes: float) -> None:
    if not -MINUTES_IN_DAY <= minutes <= MINUTES_IN_DAY:
        raise InvalidRequestError(
            f"Invalid timezone difference: must be between -{MINUTES_IN_DAY} and {MINUTES_IN_DAY}"
        )


def _query_scope(organization_id: str, params: SessionQueryParams) -> SessionScope:
    _check_timezone(params.timezoneDifference)
    return SessionScope(
        organization_id,
        filter=params.filter,
        start_ms=params.timeFilter.startTimeUnixMs,
        end_ms=params.timeFilter.endTimeUnixMs,
        search=params.search,
        name_equals=params.nameEquals or "",
    )


@router.post("/v1/session/query", response_model=Envelope[list[SessionResult]])
async def query(request: Request, caller: Reader, params: SessionQueryParams) -> dict[str, Any]:
    """Sessions of the caller's organization with requests in the time window, newest first."""
    sessions = await query_sessions(
        _engine(request),
        _query_scope(caller.organization_id, params),
        timezone_minutes=params.timezoneDifference,
        offset=params.offset,
        limit=params.limit,
    )
    return ok(sessions)


@router.post("/v1/session/count", response_model=Envelope[int])
async def count(request: Request, caller: Reader, params: SessionQueryParams) -> dict[str, Any]:
    """How many sessions /v1/session/query lists for the same body, over all its pages."""
    total = await count_sessions(_engine(request), _query_scope(caller.organization_id, params))
    return ok(total)


def _named_scope(
    organization_id: str, params: SessionNameQueryParams | SessionMetricsQueryParams
) -> SessionScope:
    """The sessions a name or metrics query reads (Helicone's optional window and filter)."""
    _check_timezone(params.timezoneDifference)
    window = params.timeFilter
    return SessionScope(
        organization_id,
        filter=params.filter,
        start_ms=window.startTimeUnixMs if window else None,
        end_ms=window.endTimeUnixMs if window else None,
        name_contains=params.nameContains,
    )


@router.post("/v1/session/name/query", response_model=Envelope[list[SessionNameResult]])
async def names(request: Request, caller: Reader, params: SessionNameQueryParams) -> dict[str, Any]:
    """Session names (containing `nameContains`) with their sessions, latency and cost."""
    scope = _named_scope(caller.organization_id, params)
    rows = await session_names(
        _engine(request), scope, timezone_minutes=params.timezoneDifference, limit=MAX_NAMES
    )
    return ok(rows)


@router.post("/v1/session/metrics/query", response_model=Envelope[SessionMetrics])
async def metrics(
    request: Request, caller: Reader, params: SessionMetricsQueryParams
) -> dict[str, Any]:
    """Distributions of requests, duration (s) and cost (USD) per session, and their means."""
    scope = _named_scope(caller.organization_id, params)
    data = await session_metrics(_engine(request), scope, params.pSize, params.useInterquartile)
    return ok(data)


@router.get("/v1/session/{session_id:path}/tag", response_model=Envelope[str | None])
async def get_tag(session_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """The session's tag (the newest one set), or null."""
    return ok(await session_tag(_engine(request), caller.organization_id, session_id))


@router.post("/v1/session/{session_id:path}/tag", response_model=Envelope[None])
async def set_tag(
    session_id: str, request: Request, caller: Caller, body: SessionTag
) -> dict[str, Any]:
    """Tag the session (a newer tag replaces the one before)."""
    await tag_session(_engine(request), caller.organization_id, session_id, body.tag)
    return ok(None)


@router.post("/v1/session/{session_id:path}/feedback", response_model=Envelope[None])
async def feedback(
    session_id: str, request: Request, caller: Caller, body: SessionFeedback
) -> dict[str, Any]:
    """Rate a session; the rating is kept as the `Helicone-Session-Feedback` property."""
    if not await rate_session(_engine(request), caller.organization_id, session_id, body.rating):
        raise NotFoundError(SESSION_NOT_FOUND)
    return ok(None)


@router.get("/v1/session/{session_id:path}", response_model=Envelope[SessionDetail])
async def read_session(session_id: str, request: Request, caller: Reader) -> dict[str, Any]:
    """One session: its summary and its requests as the tree of their session paths."""
    engine = _engine(request)
    summary = await get_session(engine, caller.organization_id, session_id)
    if summary is None:
        raise NotFoundError(SESSION_NOT_FOUND)
    rows = await session_requests(engine, caller.organization_id, session_id, MAX_TREE_REQUESTS)
    rating = rows[0]["rating"] if rows else ""
    summary["feedback"] = {"1": True, "0": False}.get(rating)
    return ok(
        {
            "session": summary,
            "tree": build_tree(rows),
            "truncated": len(rows) < summary["total_requests"],
        }
    )
