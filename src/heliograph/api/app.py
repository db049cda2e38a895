"""The REST API (FastAPI): everything that is not a proxy route."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

import heliograph
from heliograph.api import cache, health, models, properties, provider_keys, requests
from heliograph.api.alerts import router as alerts_router
from heliograph.api.api_keys import router as api_keys_router
from heliograph.api.async_log import router as async_log_router
from heliograph.api.dashboard import router as dashboard_router
from heliograph.api.dataset_rows import router as dataset_rows_router
from heliograph.api.datasets import router as datasets_router
from heliograph.api.evals import router as evals_router
from heliograph.api.evaluator_stats import router as evaluator_stats_router
from heliograph.api.evaluator_tests import router as evaluator_tests_router
from heliograph.api.evaluators import router as evaluators_router
from heliograph.api.experiment_datasets import router as experiment_datasets_router
from heliograph.api.experiment_rows import router as experiment_rows_router
from heliograph.api.experiment_runs import router as experiment_runs_router
from heliograph.api.experiments import router as experiments_router
from heliograph.api.helicone_provider_keys import router as helicone_provider_keys_router
from heliograph.api.hql import render_error as render_hql_error
from heliograph.api.hql import router as hql_router
from heliograph.api.jawn_metrics import router as jawn_metrics_router
from heliograph.api.legacy_prompts import router as legacy_prompts_router
from heliograph.api.metrics import router as metrics_router
from heliograph.api.model_comparison import router as model_comparison_router
from heliograph.api.model_registry import router as model_registry_router
from heliograph.api.openapi import install_openapi
from heliograph.api.organizations import router as organizations_router
from heliograph.api.prompt_playground import router as prompt_playground_router
from heliograph.api.prompt_versions import router as prompt_versions_router
from heliograph.api.prompts import router as prompts_router
from heliograph.api.property_tops import router as property_tops_router
from heliograph.api.provider_status import router as provider_status_router
from heliograph.api.proxy_keys import router as proxy_keys_router
from heliograph.api.request_extras import router as request_extras_router
from heliograph.api.scores import router as scores_router
from heliograph.api.services import Services
from heliograph.api.sessions import router as sessions_router
from heliograph.api.signin import router as signin_router
from heliograph.api.signin_throttle import SignInThrottle
from heliograph.api.trace_log import router as trace_log_router
from heliograph.api.users import router as users_router
from heliograph.api.vault import router as vault_router
from heliograph.api.webhooks import router as webhooks_router
from heliograph.errors import HeliographError, MetaUnavailable, RetryLaterError, UnknownKeyError
from heliograph.gateway.inprocess import GatewayApp
from heliograph.hql.errors import HqlError
from heliograph.throttled_log import ThrottledLog, describe
from heliograph.workpool import BoundedPool


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"data": None, "error": message}, status_code=status)


ROUTERS = (
    health.router,
    requests.router,
    request_extras_router,
    properties.router,
    property_tops_router,
    models.router,
    model_registry_router,
    provider_status_router,
    model_comparison_router,
    provider_keys.router,
    cache.router,
    alerts_router,
    sessions_router,
    users_router,
    signin_router,
    organizations_router,
    api_keys_router,
    helicone_provider_keys_router,
    proxy_keys_router,
    vault_router,
    scores_router,
    evals_router,
    evaluator_tests_router,
    evaluators_router,
    evaluator_stats_router,
    dashboard_router,
    metrics_router,
    jawn_metrics_router,
    webhooks_router,
    prompts_router,
    prompt_versions_router,
    prompt_playground_router,
    legacy_prompts_router,
    datasets_router,
    dataset_rows_router,
    experiment_datasets_router,
    experiments_router,
    experiment_rows_router,
    experiment_runs_router,
    async_log_router,
    trace_log_router,
    hql_router,
)


def create_api(services: Services, gateway: GatewayApp) -> FastAPI:
    """The REST API; `gateway` serves the unified gateway's calls, for those the API makes
    itself (the prompt playground)."""
    # FastAPIOffline serves /docs with Swagger UI from files shipped in the package, not a CDN.
    api = FastAPIOffline(
        title="Heliograph",
        version=heliograph.__version__,
        description="Heliograph's REST API: Helicone-compatible request, property, session, "
        "user, score, HQL, webhook and alert endpoints, plus metrics for the dashboard. "
        "Authenticate with `Authorization: Bearer <Heliograph API key>`.",
        static_url="/docs/static",
        redoc_url=None,
    )
    api.state.services = services
    api.state.gateway = gateway
    settings = services.settings
    api.state.signin_throttle = SignInThrottle(settings)
    api.state.password_pool = BoundedPool(
        "password-hashing", settings.signin_hash_threads, settings.signin_hash_queue
    )
    install_openapi(api)
    for router in ROUTERS:
        api.include_router(router)
    _add_error_handlers(api)
    return api


def _rendered(exc: HeliographError) -> JSONResponse:
    if isinstance(exc, UnknownKeyError):  # Jawn's 401 for a key it does not know
        body = {"data": None, "error": exc.message, "trace": exc.trace}
        return JSONResponse(body, status_code=exc.status)
    response = _error(exc.status, exc.message)
    if isinstance(exc, RetryLaterError):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _add_error_handlers(api: FastAPI) -> None:
    """Every error in Helicone's envelope, `{"data": null, "error": "..."}`."""
    # HQL errors carry a code: "[code] message", and {"hqlError": {"code", "message"}}.
    api.add_exception_handler(HqlError, render_hql_error)
    warnings = ThrottledLog(logging.getLogger("heliograph.api"))

    @api.exception_handler(HeliographError)
    async def _heliograph_error(_: Request, exc: HeliographError) -> JSONResponse:
        return _rendered(exc)

    @api.exception_handler(OperationalError)
    async def _metadata_down(_: Request, exc: OperationalError) -> JSONResponse:
        # The metadata database refused or dropped the connection (the key lookups fall
        # back on their cache first): a 503 to retry, not a 500, and never its URL.
        warnings.warning("metadata-database-down", "metadata database error: %s", describe(exc))
        return _rendered(MetaUnavailable())

    @api.exception_handler(OSError)
    async def _short_of_resources(_: Request, exc: OSError) -> JSONResponse:
        # The machine, not the request: no descriptor left, no disk space. Say so, retry.
        warnings.warning("server-resources", "a REST call failed: %s", describe(exc))
        reason = exc.strerror or type(exc).__name__
        return _error(503, f"The server is short of resources ({reason}); retry shortly")

    @api.exception_handler(RecursionError)
    async def _too_deep(_: Request, exc: RecursionError) -> JSONResponse:
        # Nothing in the API recurses deeply on its own: this is a body nested past what the
        # JSON parser, pydantic or a filter walk can follow (e.g. 100,000 nested arrays).
        return _error(400, "Invalid request: the JSON body is nested too deeply")

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
