"""REST: the model registry (`GET /v1/models`), in OpenAI's list shape with prices added."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from heliograph.api.schemas.gateway import ModelList
from heliograph.api.services import services_of
from heliograph.gateway.token_limits import context_window

router = APIRouter(tags=["AI Gateway"])


@router.get("/v1/models", response_model=ModelList)
async def list_models(request: Request) -> dict[str, Any]:
    """Every model the gateway can route by name, with its providers and USD per token."""
    services = services_of(request)
    router_ = services.router
    by_helicone = {p.helicone_name: p for p in router_.providers.values()}
    models: dict[str, dict[str, Any]] = {}
    for row in services.catalog.models:
        provider = by_helicone.get(row.provider)
        if provider is None or row.match == "includes":
            continue
        entry = models.setdefault(
            row.model,
            {
                "id": row.model,
                "object": "model",
                "created": 0,
                "owned_by": provider.name,
                "context_length": context_window(row.model),
                "providers": [],
                "pricing": [],
            },
        )
        if provider.name not in entry["providers"]:
            entry["providers"].append(provider.name)
            entry["pricing"].append(
                {
                    "provider": provider.name,
                    "prompt": row.input,
                    "completion": row.output,
                    "cache_read": row.cache_read,
                    "cache_write": row.cache_write,
                    "configured": provider.configured,
                }
            )
    return {"object": "list", "data": sorted(models.values(), key=lambda m: m["id"])}
