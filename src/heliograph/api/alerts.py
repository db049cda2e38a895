"""REST: alert rules and their history, on Jawn's paths (`/v1/alert/...`).

Jawn has `GET /v1/alert/query`, `POST /v1/alert/create` and `DELETE /v1/alert/{alertId}`;
Heliograph adds reading, updating (also enabling/disabling) one alert and its history.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from heliograph.alerts.definition import AlertSpec, apply_changes, parse_alert
from heliograph.alerts.store import HISTORY_LIMIT, AlertStore, StoredAlert
from heliograph.api.auth import Caller
from heliograph.api.schemas.alerts import Alert, AlertHistoryEntry, AlertsAndHistory
from heliograph.api.schemas.components import ref
from heliograph.api.schemas.envelope import Envelope, ok
from heliograph.api.services import services_of
from heliograph.errors import NotFoundError
from heliograph.meta.keys import Principal
from heliograph.outbound.policy import OutboundPolicy

router = APIRouter(tags=["Alert"])
# The body is validated by heliograph.alerts.definition (Helicone's messages); the schemas
# (api/schemas/alerts.py) only document it.
JsonBody = Annotated[Any, Body()]


def _documented_body(component: str) -> dict[str, Any]:
    content = {"application/json": {"schema": ref(component)}}
    return {"requestBody": {"required": True, "content": content}}


def _store(request: Request) -> AlertStore:
    store: AlertStore = services_of(request).alerts
    return store


def _checked_id(alert_id: str) -> str:
    try:
        return str(uuid.UUID(alert_id))
    except ValueError:
        raise NotFoundError("Alert not found") from None


async def _allowed(request: Request, spec: AlertSpec) -> AlertSpec:
    """`spec` once its webhook URLs pass the outbound policy (a 400 otherwise)."""
    policy = OutboundPolicy.from_settings(services_of(request).settings)
    await policy.check_destinations("Invalid webhook_urls", spec.webhook_urls)
    return spec


async def _existing(request: Request, caller: Principal, alert_id: str) -> StoredAlert:
    alert = await asyncio.to_thread(
        _store(request).get, caller.organization_id, _checked_id(alert_id)
    )
    if alert is None:
        raise NotFoundError("Alert not found")
    return alert


@router.get("/v1/alert/query", response_model=Envelope[AlertsAndHistory])
async def query_alerts(request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's alerts and their history (newest first), as Jawn answers."""
    store = _store(request)
    alerts = await asyncio.to_thread(store.list_alerts, caller.organization_id)
    history = await asyncio.to_thread(store.history, caller.organization_id)
    return ok(
        {
            "alerts": [alert.to_json() for alert in alerts],
            "history": [entry.to_json() for entry in history],
        }
    )


@router.post(
    "/v1/alert/create",
    response_model=Envelope[str],
    openapi_extra=_documented_body("AlertRequest"),
)
async def create_alert(request: Request, caller: Caller, payload: JsonBody) -> dict[str, Any]:
    """Create an alert; the answer's data is its id, as in Jawn."""
    spec = await _allowed(request, parse_alert(payload))
    alert = await asyncio.to_thread(_store(request).create, caller.organization_id, spec)
    return ok(alert.id)


@router.get("/v1/alert/{alert_id}", response_model=Envelope[Alert])
async def get_alert(alert_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    alert = await _existing(request, caller, alert_id)
    return ok(alert.to_json())


@router.patch(
    "/v1/alert/{alert_id}",
    response_model=Envelope[Alert],
    openapi_extra=_documented_body("AlertUpdate"),
)
async def update_alert(
    alert_id: str, request: Request, caller: Caller, payload: JsonBody
) -> dict[str, Any]:
    """Change some fields of an alert, e.g. `{"enabled": false}`; the rest is kept."""
    current = await _existing(request, caller, alert_id)
    spec = await _allowed(request, apply_changes(current.spec, payload))
    updated = await asyncio.to_thread(
        _store(request).update, caller.organization_id, current.id, spec
    )
    if updated is None:
        raise NotFoundError("Alert not found")
    return ok(updated.to_json())


@router.delete("/v1/alert/{alert_id}", response_model=Envelope[None])
async def delete_alert(alert_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Delete an alert and its history."""
    deleted = await asyncio.to_thread(
        _store(request).delete, caller.organization_id, _checked_id(alert_id)
    )
    if not deleted:
        raise NotFoundError("Alert not found")
    return ok(None)


@router.get("/v1/alert/{alert_id}/history", response_model=Envelope[list[AlertHistoryEntry]])
async def alert_history(
    alert_id: str,
    request: Request,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=HISTORY_LIMIT)] = 100,
) -> dict[str, Any]:
    """One alert's breaches, newest first."""
    alert = await _existing(request, caller, alert_id)
    entries = await asyncio.to_thread(
        _store(request).history, caller.organization_id, alert.id, limit
    )
    return ok([entry.to_json() for entry in entries])
