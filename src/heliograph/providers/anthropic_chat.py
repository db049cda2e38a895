"""OpenAI chat completions served by Anthropic's Messages API.

Requests go from OpenAI's shape to Anthropic's; answers, errors and streams (see
anthropic_stream.py) come back in OpenAI's. Where Messages has no counterpart for a
parameter it is dropped, or refused when dropping it would change the answer's shape.
"""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.providers import openai_shapes as oa
from heliograph.providers.anthropic_stream import (
    AnthropicStream,
    finish_reason,
    openai_error,
    openai_usage,
)
from heliograph.providers.base import dig
from heliograph.providers.chat import StreamTranslator, UpstreamCall
from heliograph.providers.openai_request import (
    Block,
    TurnBlocks,
    alternating_turns,
    first_int,
    json_instruction,
    stop_sequences,
    tool_arguments,
)

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096  # Messages requires max_tokens; OpenAI does not
THINKING_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384}
TOOL_CHOICES = {"auto": "auto", "none": "none", "required": "any"}


class AnthropicChatAdapter:
    """Claude models behind the OpenAI-compatible `/v1/chat/completions` endpoint."""

    name = "anthropic"
    provider = "ANTHROPIC"

    def chat_request(
        self, body: dict[str, Any], model: str, api_key: str, stream: bool
    ) -> UpstreamCall:
        headers = {
            "x-api-key": api_key,
            "anthropic-version": ANTHROPIC_VERSION,
            "content-type": "application/json",
        }
        payload = orjson.dumps(messages_request(body, model, stream))
        return UpstreamCall("POST", "/v1/messages", headers, payload)

    def chat_response(self, data: bytes, model: str) -> bytes:
        message = oa.json_object(data, "Anthropic", "a message")
        return orjson.dumps(chat_completion(message, model))

    def chat_stream(self, model: str, include_usage: bool) -> StreamTranslator:
        return AnthropicStream(model, include_usage)

    def error_response(self, status: int, data: bytes) -> bytes:
        text = oa.error_text(data, status, "Anthropic")
        return orjson.dumps(openai_error(status, oa.json_body(data), text))


def messages_request(body: dict[str, Any], model: str, stream: bool) -> dict[str, Any]:
    """The Messages API body for an OpenAI chat-completions body."""
    n = body.get("n")
    if isinstance(n, int) and n > 1:
        raise InvalidRequestError("n > 1 is not supported for Anthropic models")
    system, messages = _conversation(body.get("messages"))
    instruction = json_instruction(body.get("response_format"))
    if instruction:
        system.append({"type": "text", "text": instruction})
    request: dict[str, Any] = {"model": model}
    if system:
        plain = len(system) == 1 and set(system[0]) == {"type", "text"}
        request["system"] = system[0]["text"] if plain else system
    request["messages"] = messages

    max_tokens = first_int(body, "max_completion_tokens", "max_tokens") or DEFAULT_MAX_TOKENS
    effort = body.get("reasoning_effort")
    budget = THINKING_BUDGETS.get(effort) if isinstance(effort, str) else None
    if budget:
        request["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if max_tokens <= budget:  # the budget counts inside max_tokens; keep room to answer
            max_tokens += budget
    request["max_tokens"] = max_tokens
    if not budget:  # with thinking on, Anthropic refuses temperature and a low top_p
        for key in ("temperature", "top_p"):
            value = body.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                request[key] = min(value, 1)  # OpenAI allows up to 2, Anthropic up to 1

    stops = stop_sequences(body.get("stop"))
    if stops:
        request["stop_sequences"] = stops
    if isinstance(body.get("user"), str):
        request["metadata"] = {"user_id": body["user"]}

    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        request["tools"] = [_tool(tool) for tool in tools]
        choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
        if choice:
            request["tool_choice"] = choice
    if stream:
        request["stream"] = True
    return request


def chat_completion(message: dict[str, Any], model: str) -> dict[str, Any]:
    """An OpenAI `chat.completion` for an Anthropic message."""
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.get("content") or ():
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(block.get("text") or "")
        elif kind == "thinking":
            reasoning.append(block.get("thinking") or "")
        elif kind == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            calls.append(oa.tool_call(block.get("id"), block.get("name"), arguments))
    content = "".join(texts) if texts or not calls else None
    reply = oa.assistant_message(content, reasoning, calls)
    choice = oa.choice(reply, finish_reason(message.get("stop_reason")))
    usage = openai_usage(message.get("usage"))
    return oa.chat_completion(f"chatcmpl-{message.get('id', '')}", model, [choice], usage)


def _conversation(messages: Any) -> tuple[list[Block], list[Block]]:
    """System blocks and alternating turns; a turn of one text block is sent as a string."""
    system, turns = alternating_turns(messages, _TURN_BLOCKS)
    for turn in turns:
        content = turn["content"]
        if len(content) == 1 and set(content[0]) == {"type", "text"}:
            turn["content"] = content[0]["text"]
    return system, turns


def _content(content: Any, allowed: tuple[str, ...]) -> list[Block]:
    """Anthropic blocks for an OpenAI message content: a string or an array of parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise InvalidRequestError("message content must be a string or an array of parts")
    blocks = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if not isinstance(part, dict) or kind not in allowed:
            raise InvalidRequestError(f"content part {kind!r} is not supported here for Anthropic")
        if kind in ("text", "refusal"):
            text = part.get(kind)
            if not isinstance(text, str) or not text:
                continue  # Anthropic refuses empty text blocks
            block: Block = {"type": "text", "text": text}
        elif kind == "image_url":
            block = {"type": "image", "source": _image_source(part.get("image_url"))}
        else:
            block = {"type": "document", "source": _document_source(part.get("file"))}
        if isinstance(part.get("cache_control"), dict):  # prompt caching, as LiteLLM passes it
            block["cache_control"] = part["cache_control"]
        blocks.append(block)
    return blocks


def _image_source(image: Any) -> dict[str, Any]:
    url = image.get("url") if isinstance(image, dict) else image
    if isinstance(url, str) and url.startswith("data:"):
        media_type, data = _data_url(url)
        return {"type": "base64", "media_type": media_type, "data": data}
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return {"type": "url", "url": url}
    raise InvalidRequestError("image_url.url must be a data: URL or an http(s) URL")


def _document_source(file: Any) -> dict[str, Any]:
    data_url = file.get("file_data") if isinstance(file, dict) else None
    if not isinstance(data_url, str):
        raise InvalidRequestError("file parts need file_data (a data: URL) for Anthropic")
    media_type, data = _data_url(data_url)
    return {"type": "base64", "media_type": media_type, "data": data}


def _data_url(url: str) -> tuple[str, str]:
    header, comma, data = url[len("data:") :].partition(",")
    if not comma or not header.endswith(";base64"):
        raise InvalidRequestError("data: URLs must be base64-encoded")
    return header.split(";", 1)[0], data


def _tool_use(call: Any) -> Block:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(call, dict) or not isinstance(function, dict):
        raise InvalidRequestError("assistant tool_calls must be function calls")
    return {
        "type": "tool_use",
        "id": call.get("id"),
        "name": function.get("name"),
        "input": tool_arguments(function.get("arguments")),
    }


def _tool_result(message: dict[str, Any]) -> Block:
    result: Block = {"type": "tool_result", "tool_use_id": message.get("tool_call_id")}
    content = message.get("content")
    if isinstance(content, str):
        if content:
            result["content"] = content
    elif content is not None:
        result["content"] = _content(content, ("text",))
    return result


def _tool(tool: Any) -> dict[str, Any]:
    function = tool.get("function") if isinstance(tool, dict) else None
    if (
        not isinstance(tool, dict)
        or tool.get("type") != "function"
        or not isinstance(function, dict)
    ):
        raise InvalidRequestError("only function tools are supported for Anthropic")
    converted = {
        "name": function.get("name"),
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        converted["description"] = function["description"]
    return converted


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    converted: dict[str, Any] | None = None
    if isinstance(choice, str) and choice in TOOL_CHOICES:
        converted = {"type": TOOL_CHOICES[choice]}
    elif isinstance(choice, dict) and choice.get("type") == "function":
        converted = {"type": "tool", "name": dig(choice, "function", "name")}
    if parallel is False:  # OpenAI's parallel_tool_calls=false
        converted = converted or {"type": "auto"}
        if converted["type"] != "none":
            converted["disable_parallel_tool_use"] = True
    return converted


_USER_PARTS = ("text", "image_url", "file")
_TURN_BLOCKS = TurnBlocks("Anthropic", _USER_PARTS, _content, _tool_use, _tool_result)
