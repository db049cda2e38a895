"""Jawn's typed custom log (`POST /v1/trace/custom/log/typed`): the async-log body, checked
field by field first and answered with every problem at once, in Helicone's
`ValidationResult` shape: `{"isValid": false, "errors": [{"field", "message"}]}`.

What passes is logged as the plain async-log body made of the typed fields only (Jawn
rebuilds the body the same way, so `providerResponse.cost` / `usage` are not read here).
"""

from __future__ import annotations

from typing import Any

Problem = dict[str, str]


def _problem(field: str, message: str) -> Problem:
    return {"field": field, "message": message}


def _present(value: Any) -> bool:
    """JavaScript's truthiness, which Jawn's checks use: `{}` and `[]` are there, `""` not."""
    return not (value is None or value is False or value == "" or value == 0)


def _request_problems(request: Any) -> list[Problem]:
    if not isinstance(request, dict):
        return [_problem("providerRequest", "providerRequest is required")]
    problems = []
    if not request.get("url") or not isinstance(request["url"], str):
        problems.append(_problem("providerRequest.url", "url must be a non-empty string"))
    if not isinstance(request.get("json"), dict | list):
        problems.append(_problem("providerRequest.json", "json must be an object"))
    if not isinstance(request.get("meta"), dict):
        problems.append(_problem("providerRequest.meta", "meta must be an object"))
    return problems


def _response_problems(response: Any) -> list[Problem]:
    if not isinstance(response, dict):
        return [_problem("providerResponse", "providerResponse is required")]
    problems = []
    status = response.get("status")
    if isinstance(status, bool) or not isinstance(status, int | float):
        problems.append(_problem("providerResponse.status", "status must be a number"))
    if not _present(response.get("json")) and not _present(response.get("textBody")):
        problems.append(_problem("providerResponse", "either json or textBody is required"))
    if not isinstance(response.get("headers"), dict):
        problems.append(_problem("providerResponse.headers", "headers must be an object"))
    return problems


def _timing_problems(timing: Any) -> list[Problem]:
    if not _present(timing):
        return []
    if not isinstance(timing, dict):
        return [_problem("timing", "timing must be an object")]
    problems = []
    for name in ("startTime", "endTime"):
        if timing.get(name) is None:
            problems.append(
                _problem(f"timing.{name}", f"{name} is required when timing is provided")
            )
    ttft = timing.get("timeToFirstToken")
    if ttft is not None and (isinstance(ttft, bool) or not isinstance(ttft, int | float)):
        problems.append(_problem("timing.timeToFirstToken", "timeToFirstToken must be a number"))
    return problems


def typed_problems(document: Any) -> list[Problem]:
    """Every problem of a typed custom log, Helicone's checks and messages; none: valid."""
    if not isinstance(document, dict):
        return [_problem("body", "body must be a JSON object")]
    return [
        *_request_problems(document.get("providerRequest")),
        *_response_problems(document.get("providerResponse")),
        *_timing_problems(document.get("timing")),
    ]


def untyped(document: dict[str, Any]) -> dict[str, Any]:
    """The plain async-log body of a valid typed log: its typed fields, nothing else."""
    request, response = document["providerRequest"], document["providerResponse"]
    body: dict[str, Any] = {
        "providerRequest": {key: request.get(key) for key in ("url", "json", "meta")},
        "providerResponse": {
            key: response[key]
            for key in ("json", "textBody", "status", "headers")
            if key in response
        },
    }
    timing = document.get("timing")
    if isinstance(timing, dict):
        body["timing"] = {
            key: timing[key]
            for key in ("startTime", "endTime", "timeToFirstToken")
            if timing.get(key) is not None
        }
    if document.get("provider") is not None:
        body["provider"] = document["provider"]
    return body
