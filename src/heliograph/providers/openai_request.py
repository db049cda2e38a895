"""Readers of OpenAI chat-completions request fields, for adapters whose APIs lack them.

Shared by the Anthropic and Bedrock adapters, which map these fields the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.providers.base import dig

Block = dict[str, Any]

JSON_ONLY = "Answer with a single valid JSON object and nothing else: no prose, no code fences."
JSON_SCHEMA = (
    "Answer with a single valid JSON value that conforms to the JSON Schema below and nothing "
    "else: no prose, no code fences.\n"
)


def json_instruction(response_format: Any) -> str | None:
    """JSON mode as a system instruction, for APIs without `response_format`."""
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        return JSON_ONLY
    if kind == "json_schema":
        schema = dig(response_format, "json_schema", "schema") or {}
        return JSON_SCHEMA + orjson.dumps(schema).decode()
    return None


def first_int(body: dict[str, Any], *keys: str) -> int | None:
    """The first of `keys` holding a positive integer (`max_completion_tokens`, `max_tokens`)."""
    for key in keys:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def stop_sequences(stop: Any) -> list[str]:
    """OpenAI's `stop` (a string or a list) without blank sequences, which Claude refuses."""
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    return [s for s in stops if isinstance(s, str) and s.strip()]


def tool_arguments(arguments: Any) -> dict[str, Any]:
    """A tool call's arguments (OpenAI's JSON string) as the object the provider wants."""
    if isinstance(arguments, dict):
        return arguments
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return {}
    try:
        parsed = orjson.loads(arguments)
    except (orjson.JSONDecodeError, TypeError):
        parsed = None
    if not isinstance(parsed, dict):
        raise InvalidRequestError("tool call arguments must be a JSON object")
    return parsed


@dataclass(frozen=True)
class TurnBlocks:
    """How one API writes the parts of an OpenAI message as its content blocks."""

    api: str  # named in errors
    user_parts: tuple[str, ...]  # the content part types a user message may hold
    content: Callable[[Any, tuple[str, ...]], list[Block]]  # content, allowed part types
    tool_use: Callable[[Any], Block]  # one of an assistant message's tool_calls
    tool_result: Callable[[dict[str, Any]], Block]  # a `tool` message


def alternating_turns(messages: Any, blocks: TurnBlocks) -> tuple[list[Block], list[Block]]:
    """System blocks, and user/assistant turns alternating, as Messages and Converse require:
    consecutive messages of one role (tool results count as the user's) become one turn."""
    if not isinstance(messages, list) or not messages:
        raise InvalidRequestError("messages must be a non-empty array")
    system: list[Block] = []
    turns: list[Block] = []
    for message in messages:
        if not isinstance(message, dict):
            raise InvalidRequestError("each message must be an object")
        role = message.get("role")
        if role in ("system", "developer"):
            system += blocks.content(message.get("content"), ("text",))
            continue
        if role == "user":
            parts = blocks.content(message.get("content"), blocks.user_parts)
        elif role == "assistant":
            parts = blocks.content(message.get("content"), ("text", "refusal"))
            parts += [blocks.tool_use(call) for call in message.get("tool_calls") or ()]
        elif role == "tool":
            role, parts = "user", [blocks.tool_result(message)]
        else:
            raise InvalidRequestError(f"message role {role!r} is not supported for {blocks.api}")
        if not parts:
            continue  # both APIs refuse empty turns
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += parts
        else:
            turns.append({"role": role, "content": parts})
    return system, turns
