"""A logged call's legacy template, read off the request path: what the writer stores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from heliograph.errors import InvalidRequestError
from heliograph.prompts.legacy.bodies import read_body
from heliograph.prompts.rules import MAX_BODY_BYTES, MAX_MODEL_CHARS, check_depth

MAX_TEMPLATE_BYTES = MAX_BODY_BYTES  # as a Prompt-2025 body: 1 MiB of JSON


@dataclass(frozen=True, slots=True)
class LegacyCall:
    """A logged call that carried `Helicone-Prompt-Id`, as the gateway queues it."""

    organization_id: str
    request_id: str
    user_defined_id: str  # the header's value
    body: bytes  # as the caller sent it
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Template:
    """What a call brings to its prompt: the template (JSON text, in the order sent) with its
    hash (of the canonical JSON: the key order does not make a new version), the model,
    the inputs and the auto inputs."""

    text: str
    hash: str
    model: str
    inputs: dict[str, str]
    auto_inputs: list[Any]


def _json(value: Any, sort_keys: bool = False) -> str:
    # No NaN: PostgreSQL's json type refuses it (and the standard's JSON has none).
    return json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, sort_keys=sort_keys
    )


def template_of(call: LegacyCall) -> Template | None:
    """The call's template, or None when its body cannot be read, or the template is over
    MAX_TEMPLATE_BYTES or nested deeper than a prompt body may be."""
    found = read_body(call.body)
    if found is None:
        return None
    try:
        check_depth(found.template)
        check_depth({"auto_inputs": found.auto_inputs})
        text = _json(found.template)
        canonical = _json(found.template, sort_keys=True).encode()
        _json(found.auto_inputs).encode()  # storable, as the rest
    except (ValueError, UnicodeEncodeError, InvalidRequestError):  # NaN, a lone surrogate
        return None
    if len(text.encode()) > MAX_TEMPLATE_BYTES:
        return None
    model = found.template.get("model")
    if not isinstance(model, str) or len(model) > MAX_MODEL_CHARS:
        model = ""
    digest = hashlib.sha256(canonical).hexdigest()
    return Template(text, digest, model, found.inputs, found.auto_inputs)
