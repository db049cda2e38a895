"""REST: Jawn's trace routes (Helicone's `TraceController`) beside the worker's async log.

- `POST /v1/trace/custom/log` and `/v1/trace/custom/v1/log`: Helicone's async-log body
  (`{providerRequest, providerResponse, timing?, provider?}`), as `/custom/v1/log` takes it,
  but a log naming no provider is OPENAI's, as in Jawn. Answers `200` with an empty body.
- `POST /v1/trace/custom/log/typed`: the same body checked field by field first; its
  problems are a `400` in Helicone's `ValidationResult` shape,
  `{"isValid": false, "errors": [{"field", "message"}]}`.
- `POST /v1/trace/log-python`: an OTLP/HTTP protobuf export, what Helicone's Python async
  logger (`helicone-async`'s `HeliconeAsyncLogger`, OpenLLMetry) posts by default; OTLP/JSON
  too with `Content-Type: application/json`. Answers `200` with an empty body.

A custom log's answer carries its row's id (`helicone-id`); warnings (large properties,
skipped or rejected spans) are in `helicone-warning`. Other refusals are the REST
envelope, as on `/custom/v1/log`: 400 a bad body, 401 a missing key, 413, 415.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from heliograph.api.async_log import header_text, ingest_traces, log_document, parse_json, read_body
from heliograph.api.auth import Caller
from heliograph.asynclog.payload import InvalidAsyncLog
from heliograph.asynclog.typed import typed_problems, untyped
from heliograph.errors import HeliographError

router = APIRouter(tags=["Trace"])


# Wire formats of their own (the async-log body, OTLP protobuf), like /custom/v1/log and
# /v1/traces: out of the OpenAPI document, whose generated bodies they would not take.
@router.post("/v1/trace/custom/log", include_in_schema=False)
@router.post("/v1/trace/custom/v1/log", include_in_schema=False)
async def custom_trace(request: Request, caller: Caller) -> Response:
    """Jawn's LogCustomTrace: one async-log body; 200, no body."""
    document = parse_json(await read_body(request))
    _, headers = log_document(request, caller, document)
    return Response(status_code=200, headers=headers)


@router.post("/v1/trace/custom/log/typed", include_in_schema=False)
async def typed_custom_trace(request: Request, caller: Caller) -> Response:
    """Jawn's LogCustomTraceTyped: the body's problems all at once, else logged; 200."""
    document = parse_json(await read_body(request))
    problems = typed_problems(document)
    if problems:
        return _invalid(problems)
    try:
        _, headers = log_document(request, caller, untyped(document))
    except InvalidAsyncLog as exc:  # past Helicone's checks, one of the async log's own
        return _invalid([{"field": exc.field, "message": exc.message}])
    except HeliographError as exc:
        if exc.status >= 500:
            problem = {"field": "processing", "message": exc.message}
            return JSONResponse({"isValid": False, "errors": [problem]}, status_code=exc.status)
        if exc.status != 400:
            raise
        return _invalid([{"field": "processing", "message": exc.message}])
    return Response(status_code=200, headers=headers)


def _invalid(problems: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse({"isValid": False, "errors": problems}, status_code=400)


@router.post("/v1/trace/log-python", include_in_schema=False)
async def python_trace(request: Request, caller: Caller) -> Response:
    """Jawn's LogPythonTrace: an OTLP export, protobuf unless it says JSON; 200, no body."""
    _, outcome = await ingest_traces(request, caller, protobuf_unless_json=True)
    headers = {"helicone-warning": header_text(outcome.message)} if outcome.message else None
    return Response(status_code=200, headers=headers)
