"""The REST API (FastAPI): everything that is not a proxy route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

import heliograph
from heliograph.api import cache, health, models, properties, provider_keys, requests
from heliograph.errors import HeliographError


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"data": None, "error": message}, status_code=status)


def create_api(services: Any) -> FastAPI:
    api = FastAPI(
        title="Heliograph",
        version=heliograph.__version__,
    )
    api.state.services = services
    api.include_router(health.router)
    api.include_router(requests.router)
    api.include_router(properties.router)
    api.include_router(models.router)
    api.include_router(provider_keys.router)
    api.include_router(cache.router)

    @api.exception_handler(HeliographError)
    async def _heliograph_error(_: Request, exc: HeliographError) -> JSONResponse:
        return _error(exc.status, exc.message)

    @api.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return _error(400, f"Invalid request: {problems}")

    @api.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        return _error(exc.status_code, message)

    return api
