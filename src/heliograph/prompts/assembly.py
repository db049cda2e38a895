"""A request assembled from a saved prompt version and the call's own fields, as Helicone's
gateway does it (docs: features/advanced-usage/prompts/assembly):

- the call's parameters override the saved ones (`temperature`, `max_tokens`, `model`, ...);
- its `messages` are appended to the saved messages; its `tools` to the saved tools; its
  `response_format`, if any, replaces the saved one;
- partials (`{{hcp:...}}`) in the saved messages are replaced first, then variables
  (`{{hc:name:type}}`) are filled from `inputs` in messages, tools and `response_format`,
  each input checked against its type. A missing or mistyped input is an error.

Plain functions over JSON values: the gateway step (heliograph/prompt_step.py) fetches the
saved bodies and hands them here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from heliograph.prompts.rules import ENVIRONMENT_PATTERN, MAX_ENVIRONMENT_CHARS, MAX_ID_CHARS
from heliograph.prompts.templates import (
    PARTIAL,
    Partial,
    PromptError,
    Substitution,
    partial_of,
    replace_partials,
)

PROMPT_FIELDS = ("prompt_id", "version_id", "environment", "inputs")
MAX_PARTIALS = 16  # distinct partials of one prompt: each may be a lookup
_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_ENVIRONMENT = re.compile(ENVIRONMENT_PATTERN)


@dataclass(frozen=True, slots=True)
class PromptCall:
    """What a request asks of its saved prompt."""

    prompt_id: str
    version_id: str | None
    environment: str | None
    inputs: dict[str, Any]


def _id_field(request: dict[str, Any], name: str) -> str | None:
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_ID_CHARS or not _ID.match(value):
        raise PromptError(f"'{name}' must be an id: letters, digits, '-' and '_'")
    return value


def prompt_call(request: dict[str, Any]) -> PromptCall | None:
    """The saved prompt the request names, or None when it has no `prompt_id`."""
    prompt_id = _id_field(request, "prompt_id")
    if prompt_id is None:
        return None
    environment = request.get("environment")
    if environment is not None and (
        not isinstance(environment, str)
        or len(environment) > MAX_ENVIRONMENT_CHARS
        or not _ENVIRONMENT.match(environment)
    ):
        raise PromptError("'environment' must be an environment's name, e.g. \"production\"")
    inputs = request.get("inputs")
    if inputs is not None and not isinstance(inputs, dict):
        raise PromptError("'inputs' must be an object of variable names and values")
    version_id = _id_field(request, "version_id")
    return PromptCall(prompt_id, version_id, environment, inputs or {})


def _texts(content: Any, change: Callable[[str], str]) -> Any:
    """A message's content with `change` applied to its text: the string, or each text part."""
    if isinstance(content, str):
        return change(content)
    if isinstance(content, list):
        return [
            {**part, "text": change(part["text"])} if _is_text(part) else part for part in content
        ]
    return content


def _is_text(part: Any) -> bool:
    return (
        isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
    )


def _messages(body: dict[str, Any], where: str) -> list[Any]:
    messages = body.get("messages")
    if messages is None:
        return []
    if not isinstance(messages, list):
        raise PromptError(f"'messages' of the {where} must be a list")
    return messages


def partials_in(saved: dict[str, Any]) -> list[Partial]:
    """The distinct partials the saved messages name, in order."""
    found: dict[Partial, None] = {}
    for message in _messages(saved, "saved prompt"):
        if isinstance(message, dict):
            _texts(message.get("content"), lambda text: _collect(text, found))
    if len(found) > MAX_PARTIALS:
        raise PromptError(f"A prompt may hold at most {MAX_PARTIALS} distinct partials")
    return list(found)


def _collect(text: str, found: dict[Partial, None]) -> str:
    if "hcp" in text:
        for match in PARTIAL.finditer(text):
            found.setdefault(partial_of(match))
    return text


def message_text(body: dict[str, Any], index: int) -> str | None:
    """The text of message `index` (text parts joined by spaces); None when there is none."""
    messages = _messages(body, "partial's prompt")
    if index >= len(messages) or not isinstance(messages[index], dict):
        return None
    content = messages[index].get("content")
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return " ".join(part["text"] for part in parts if _is_text(part) and part["text"])


def assemble(
    saved: dict[str, Any],
    request: dict[str, Any],
    call: PromptCall,
    partials: dict[Partial, str],
    budget: int,
) -> dict[str, Any]:
    """The request to send: `saved` with the request's fields over it (see the module's
    docstring); `partials` holds each partial's text; what substitution adds may not pass
    `budget` bytes. Raises a PromptError naming every missing or mistyped input."""
    fill = Substitution(call.inputs, budget)

    def resolved(text: str) -> str:
        return fill.text(replace_partials(text, partials.__getitem__, fill.charge))

    messages = [_message(m, resolved) for m in _messages(saved, "saved prompt")]
    messages += [_message(m, fill.text) for m in _messages(request, "request")]
    params = {key: value for key, value in request.items() if key not in PROMPT_FIELDS}
    merged = {**saved, **params, "messages": messages}
    response_format = request.get("response_format", saved.get("response_format"))
    if response_format is not None:
        merged["response_format"] = fill.json(response_format)
    tools = [*_list(saved, "tools"), *_list(request, "tools")]
    if tools:
        merged["tools"] = fill.json(tools)
    if fill.problems:
        raise PromptError("; ".join(fill.problems.values()))
    return merged


def _message(message: Any, change: Callable[[str], str]) -> Any:
    if not isinstance(message, dict) or "content" not in message:
        return message
    return {**message, "content": _texts(message["content"], change)}


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PromptError(f"'{name}' must be a list")
    return value
