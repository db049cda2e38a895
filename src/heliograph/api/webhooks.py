"""REST: webhooks (Helicone's /v1/webhooks) and their delivery log."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from heliograph.api.auth import Caller
from heliograph.api.schemas.components import ref
from heliograph.api.schemas.envelope import UUID_PATTERN, Envelope, ok
from heliograph.api.schemas.webhooks import (
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookTestDelivery,
)
from heliograph.api.services import services_of
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.helicone_headers import valid_uuid
from heliograph.webhooks.queue import DeliveryRecord
from heliograph.webhooks.rules import parse_config, validate_destination
from heliograph.webhooks.service import Webhooks
from heliograph.webhooks.store import WebhookInfo

router = APIRouter(tags=["Webhooks"])
WEBHOOK_NOT_FOUND = "Webhook not found"
WEBHOOK_FIELDS = frozenset({"destination", "config", "includeData"})
MAX_DELIVERIES_LIMIT = 1000
# Helicone's `WebhookData` (api/schemas/webhooks.py); the body is validated in code so that
# every error names its field in the envelope.
WEBHOOK_DATA_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ref("WebhookData")}},
    }
}


def _webhooks(request: Request) -> Webhooks:
    webhooks: Webhooks = services_of(request).webhooks
    return webhooks


def _shown(info: WebhookInfo, hmac_key: str | None = None) -> dict[str, Any]:
    """Helicone's webhook row; `hmac_key` is the full secret only in the creation answer."""
    return {
        "id": info.id,
        "created_at": info.created_at.isoformat(),
        "destination": info.destination,
        "version": info.version,
        "config": info.config.to_json(),
        "hmac_key": hmac_key if hmac_key is not None else info.hmac_key_preview,
    }


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequestError("Invalid request: the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("Invalid request: the body must be a JSON object")
    return body


@router.post("/v1/webhooks", response_model=Envelope[Webhook], openapi_extra=WEBHOOK_DATA_BODY)
async def new_webhook(request: Request, caller: Caller) -> dict[str, Any]:
    """Create a webhook (`WebhookData`: destination, config, includeData). The answer holds
    the signing secret (`hmac_key`): it is shown this once."""
    body = await _json_object(request)
    unknown = sorted(set(body) - WEBHOOK_FIELDS)
    if unknown:
        raise InvalidRequestError(
            f"{unknown[0]}: unknown field; WebhookData has destination, config, includeData"
        )
    destination = validate_destination(body.get("destination"))
    config = parse_config(body.get("config"), body.get("includeData"))
    created = await _webhooks(request).create(caller.organization_id, destination, config)
    return ok(_shown(created.info, created.hmac_key))


@router.get("/v1/webhooks", response_model=Envelope[list[Webhook]])
async def get_webhooks(request: Request, caller: Caller) -> dict[str, Any]:
    """The organization's webhooks; secrets appear only as previews."""
    webhooks = _webhooks(request)
    infos = await asyncio.to_thread(webhooks.store.list_for, caller.organization_id)
    return ok([_shown(info) for info in infos])


@router.delete("/v1/webhooks/{webhook_id}", response_model=Envelope[None])
async def delete_webhook(webhook_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Delete a webhook, with its pending deliveries and delivery log."""
    if not await _webhooks(request).delete(caller.organization_id, webhook_id):
        raise NotFoundError(WEBHOOK_NOT_FOUND)
    return ok(None)


@router.post("/v1/webhooks/{webhook_id}/test", response_model=Envelope[WebhookTestDelivery])
async def test_webhook(webhook_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """**Heliograph**: send the webhook a signed test delivery now, through the same outbound
    policy and signing as real ones, and answer what the destination did (within 30 s)."""
    result = await _webhooks(request).send_test(caller.organization_id, webhook_id)
    if result is None:
        raise NotFoundError(WEBHOOK_NOT_FOUND)
    return ok(
        {
            "webhook_id": result.webhook_id,
            "request_id": result.request_id,
            "delivered": result.error is None,
            "status_code": result.status_code,
            "error": result.error,
            "duration_ms": result.duration_ms,
        }
    )


def _delivery(record: DeliveryRecord) -> dict[str, Any]:
    def iso(moment: Any) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "id": record.id,
        "request_id": record.request_id,
        "status": record.status,
        "attempt_count": record.attempts,
        "created_at": iso(record.created_at),
        "next_attempt_at": iso(record.next_attempt_at),
        "completed_at": iso(record.completed_at),
        "attempts": [
            {
                "attempt": a.attempt,
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
                "attempted_at": iso(a.attempted_at),
            }
            for a in record.log
        ],
    }


@router.get("/v1/webhooks/{webhook_id}/deliveries", response_model=Envelope[list[WebhookDelivery]])
async def get_deliveries(
    webhook_id: str,
    request: Request,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=MAX_DELIVERIES_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    request_id: Annotated[
        str | None,
        Query(alias="requestId", json_schema_extra={"format": "uuid", "pattern": UUID_PATTERN}),
    ] = None,
) -> dict[str, Any]:
    """**Heliograph**: the webhook's deliveries, newest first, each with every attempt made."""
    wanted = None if request_id is None else valid_uuid(request_id)
    if request_id is not None and wanted is None:
        raise InvalidRequestError(f"requestId: must be a request id (a UUID), not {request_id!r}")
    webhooks = _webhooks(request)
    info = await asyncio.to_thread(webhooks.store.get, caller.organization_id, webhook_id)
    if info is None:
        raise NotFoundError(WEBHOOK_NOT_FOUND)
    records = await asyncio.to_thread(
        webhooks.queue.deliveries,
        info.id,
        status=status,
        request_id=wanted,
        limit=limit,
        offset=offset,
    )
    return ok([_delivery(r) for r in records])
