"""A call's log record as its Helicone headers and caller open it: the one place that reads
the headers into a LoggedCall, for proxied calls and async logs alike."""

from __future__ import annotations

from typing import Any

from heliograph.helicone_headers import HeliconeHeaders, logged_prompt_id
from heliograph.pipeline.rows import LoggedCall, new_request_id
from heliograph.providers.base import WireFormat


def open_call(
    headers: HeliconeHeaders,
    organization_id: str,
    key_id: str | None,
    *,
    provider: str,
    target_url: str,
    wire: WireFormat,
    started_at: float,
    request_body: bytes,
    request_json: Any,
    model: str | None = None,
    request_id: str | None = None,
) -> LoggedCall:
    """The record before anything answered; `model` names the model when no
    Helicone-Model-Override does; `request_id` is the id chosen already, if any. The
    organization is always the caller's key's."""
    return LoggedCall(
        request_id=request_id or headers.request_id or new_request_id(),
        id_is_new=headers.request_id is None,
        organization_id=organization_id,
        proxy_key_id=key_id,
        provider=provider,
        target_url=target_url,
        wire=wire,
        started_at=started_at,
        request_body=request_body,
        request_json=request_json,
        user_id=headers.user_id,
        properties=headers.properties,
        model_override=headers.model_override or model,
        omit_request=headers.omit_request,
        omit_response=headers.omit_response,
        prompt_id=logged_prompt_id(headers),
        prompt_version=headers.prompt_version or "",
    )
