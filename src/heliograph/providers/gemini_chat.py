"""Google Gemini (AI Studio's generativelanguage API) behind the OpenAI chat-completions surface.

System and developer messages become `systemInstruction`; the other messages become
`contents` with roles user / model; tools, tool choice and sampling options move to `tools`,
`toolConfig` and `generationConfig`. gemini_stream.py reads the answers back.
"""

from __future__ import annotations

import base64
import mimetypes
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.providers import openai_shapes as oa
from heliograph.providers.chat import StreamTranslator, UpstreamCall
from heliograph.providers.gemini_stream import (
    SIGNATURE_MARK,
    GeminiStreamTranslator,
    chat_completion,
    openai_error,
)

API_PREFIX = "/v1beta/models/"
# thinkingBudget tokens per OpenAI reasoning_effort. 0 turns thinking off (2.5 Pro refuses
# that); 512 is the smallest budget every 2.5 model accepts; 24576 is 2.5 Flash's ceiling.
THINKING_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
# Google's documented value for a replayed call whose real signature was lost.
SKIP_SIGNATURE = "skip_thought_signature_validator"
# The OpenAPI subset Gemini's `Schema` accepts; other JSON-schema keys make it answer 400.
SCHEMA_KEYS = frozenset(
    "type format title description nullable enum items minItems maxItems properties required"
    " minProperties maxProperties minLength maxLength pattern example anyOf propertyOrdering"
    " default minimum maximum".split()
)
_SAMPLING = (
    ("temperature", "temperature"),
    ("top_p", "topP"),
    ("n", "candidateCount"),
    ("seed", "seed"),
)
_PENALTIES = (("presence_penalty", "presencePenalty"), ("frequency_penalty", "frequencyPenalty"))


class GeminiChatAdapter:
    name = "google"
    provider = "GOOGLE"

    def chat_request(
        self, body: dict[str, Any], model: str, api_key: str, stream: bool
    ) -> UpstreamCall:
        model = model.removeprefix("models/")
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        # The key goes in a header, never in the URL: URLs end up in logs and stored rows.
        headers = {"content-type": "application/json", "x-goog-api-key": api_key}
        payload = gemini_request(body, model)
        path = f"{API_PREFIX}{quote(model, safe='')}:{method}"
        return UpstreamCall("POST", path, headers, orjson.dumps(payload))

    def chat_response(self, data: bytes, model: str) -> bytes:
        response = oa.json_object(data, "Gemini", "an object")
        return orjson.dumps(chat_completion(response, model))

    def chat_stream(self, model: str, include_usage: bool) -> StreamTranslator:
        return GeminiStreamTranslator(model, include_usage)

    def error_response(self, status: int, data: bytes) -> bytes:
        parsed = oa.json_body(data)
        if isinstance(parsed, list) and parsed:  # streamed errors come as a one-item array
            parsed = parsed[0]
        error = parsed.get("error") if isinstance(parsed, dict) else None
        fallback = oa.error_text(data, status, "Gemini")[:1000]
        return orjson.dumps(openai_error(status, error, fallback))


# OpenAI request -> Gemini request


def gemini_request(body: dict[str, Any], model: str = "") -> dict[str, Any]:
    """The `GenerateContentRequest` for an OpenAI chat-completions body."""
    system, contents = _contents(body.get("messages"))
    if model.startswith("gemini-3"):
        _sign_replayed_calls(contents)
    request: dict[str, Any] = {"contents": contents}
    if system:
        request["systemInstruction"] = {"parts": system}
    declarations = _declarations(body.get("tools"))
    if declarations:
        request["tools"] = [{"functionDeclarations": declarations}]
    tool_config = _tool_config(body.get("tool_choice"))
    if tool_config:
        request["toolConfig"] = tool_config
    config = _generation_config(body)
    if config:
        request["generationConfig"] = config
    return request


def _contents(messages: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id -> function name, for the tool results
    for message in messages if isinstance(messages, list) else ():
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role in ("system", "developer"):
            system += _parts(message.get("content"))
            continue
        if role == "assistant":
            role, parts = "model", _assistant_parts(message, names)
        elif role in ("tool", "function"):
            role, parts = "user", [_function_response(message, names)]
        else:
            role, parts = "user", _parts(message.get("content"))
        if not parts:
            continue  # Gemini refuses a content without parts
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"] += parts
        else:
            contents.append({"role": role, "parts": parts})
    return system, contents


def _parts(content: Any) -> list[dict[str, Any]]:
    """Gemini parts for an OpenAI content: a string or a list of content parts."""
    if isinstance(content, str):
        return [{"text": content}] if content else []  # Gemini refuses empty text
    parts: list[dict[str, Any]] = []
    for item in content if isinstance(content, list) else ():
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind in ("text", "refusal"):
            text = item.get(kind)
            if isinstance(text, str) and text:
                parts.append({"text": text})
        elif kind == "image_url":
            image = item.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str) or not url:
                raise InvalidRequestError("an image_url part needs a url")
            parts.append(_media(url, "image/jpeg"))
        elif kind == "input_audio":
            audio = item.get("input_audio") or {}
            mime = f"audio/{audio.get('format') or 'wav'}"
            inline = {"mimeType": mime, "data": str(audio.get("data") or "")}
            parts.append({"inlineData": inline})
        elif kind == "file":
            parts.append(_file(item.get("file") or {}))
        else:
            raise InvalidRequestError(f"Gemini cannot take content parts of type {kind!r}")
    return parts


def _media(url: str, default_mime: str) -> dict[str, Any]:
    """Inline data for a data: URL; a reference Gemini fetches itself for any other URL."""
    if url.startswith("data:"):
        header, _, payload = url[5:].partition(",")
        mime, *params = header.split(";")
        data = payload if "base64" in params else base64.b64encode(unquote_to_bytes(payload))
        text = data if isinstance(data, str) else data.decode()
        return {"inlineData": {"mimeType": mime or "text/plain", "data": text}}
    mime = mimetypes.guess_type(urlsplit(url).path)[0] or default_mime
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _file(file: dict[str, Any]) -> dict[str, Any]:
    data = file.get("file_data")
    if not isinstance(data, str) or not data:
        raise InvalidRequestError("Gemini needs file parts inline (file_data); file_id is unknown")
    if data.startswith("data:"):
        return _media(data, "application/octet-stream")
    mime = mimetypes.guess_type(str(file.get("filename") or ""))[0] or "application/pdf"
    return {"inlineData": {"mimeType": mime, "data": data}}


def _assistant_parts(message: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    parts = _parts(message.get("content"))
    calls = list(message.get("tool_calls") or ())
    if isinstance(message.get("function_call"), dict):  # the deprecated single-call form
        calls.append({"function": message["function_call"]})
    for call in calls:
        if not isinstance(call, dict):
            continue
        function = call.get("function") or {}
        name = str(function.get("name") or "")
        call_id = call.get("id")
        if isinstance(call_id, str):
            names[call_id] = name
        part: dict[str, Any] = {
            "functionCall": {"name": name, "args": _arguments(function.get("arguments"))}
        }
        signature = _signature(call)
        if signature:
            part["thoughtSignature"] = signature
        parts.append(part)
    return parts


def _signature(call: dict[str, Any]) -> str | None:
    """The thought signature our tool call id carries, or Google's OpenAI-compatible field."""
    call_id = call.get("id")
    if isinstance(call_id, str) and SIGNATURE_MARK in call_id:
        return call_id.split(SIGNATURE_MARK, 1)[1]
    extra = call.get("extra_content")
    signature = (
        extra.get("google", {}).get("thought_signature") if isinstance(extra, dict) else None
    )
    return signature if isinstance(signature, str) and signature else None


def _sign_replayed_calls(contents: list[dict[str, Any]]) -> None:
    """Gemini 3 refuses a model turn's calls without a signature; mark lost ones as skipped."""
    for content in contents:
        calls = [part for part in content["parts"] if "functionCall" in part]
        if content["role"] == "model" and calls:
            if not any("thoughtSignature" in part for part in calls):
                calls[0]["thoughtSignature"] = SKIP_SIGNATURE


def _arguments(raw: Any) -> dict[str, Any]:
    """Gemini wants the arguments as an object; OpenAI carries them as JSON text."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"arguments": raw}
    return parsed if isinstance(parsed, dict) else {"arguments": parsed}


def _function_response(message: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    name = names.get(call_id) if isinstance(call_id, str) else None
    name = name or message.get("name")  # the deprecated `function` role names itself
    if not isinstance(name, str) or not name:
        raise InvalidRequestError(f"tool message {call_id!r} answers no earlier tool call")
    content = message.get("content")
    text = content if isinstance(content, str) else "".join(_texts(content))
    try:
        value: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = text
    response = value if isinstance(value, dict) else {"content": value}
    return {"functionResponse": {"name": name, "response": response}}


def _texts(content: Any) -> list[str]:
    items = content if isinstance(content, list) else ()
    return [i["text"] for i in items if isinstance(i, dict) and isinstance(i.get("text"), str)]


def _declarations(tools: Any) -> list[dict[str, Any]]:
    declarations = []
    for tool in tools if isinstance(tools, list) else ():
        # Only function tools map; OpenAI's built-in and custom tools have no Gemini twin.
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            continue
        function = tool.get("function") or {}
        declaration: dict[str, Any] = {"name": str(function.get("name") or "")}
        if function.get("description"):
            declaration["description"] = function["description"]
        parameters = function.get("parameters")
        if isinstance(parameters, dict):
            schema = gemini_schema(parameters)
            if schema.get("properties"):  # Gemini refuses an OBJECT with no properties
                declaration["parameters"] = schema
        declarations.append(declaration)
    return declarations


def gemini_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON schema cut down to Gemini's subset: `$ref`s inlined, unknown keys dropped."""
    if defs is None:
        defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = defs.pop(ref.rsplit("/", 1)[-1], None)  # popped: a recursive $ref ends here
        merged = {**target, **schema} if isinstance(target, dict) else dict(schema)
        merged.pop("$ref")
        return gemini_schema(merged, defs)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, list):  # ["string", "null"]
            types = [t for t in value if t != "null"]
            if len(types) < len(value):
                out["nullable"] = True
            if len(types) == 1:
                out["type"] = types[0]
            elif types:
                out["anyOf"] = [{"type": t} for t in types]
        elif key == "properties" and isinstance(value, dict):
            properties = {
                name: gemini_schema(sub, dict(defs))
                for name, sub in value.items()
                if isinstance(sub, dict)
            }
            if properties:
                out["properties"] = properties
        elif key == "items" and isinstance(value, dict):
            out["items"] = gemini_schema(value, dict(defs))
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            variants = [gemini_schema(v, dict(defs)) for v in value if isinstance(v, dict)]
            if any(v.get("type") == "null" for v in variants):
                out["nullable"] = True
            variants = [v for v in variants if v.get("type") != "null"]
            if variants:
                out["anyOf"] = variants
        elif key == "const":
            out["enum"] = [value]
        elif key in SCHEMA_KEYS:
            out[key] = value
    return out


def _tool_config(choice: Any) -> dict[str, Any] | None:
    if isinstance(choice, str) and choice in TOOL_MODES:
        return {"functionCallingConfig": {"mode": TOOL_MODES[choice]}}
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        if isinstance(name, str):
            return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
    return None


def _generation_config(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        theirs: body[ours] for ours, theirs in _SAMPLING if body.get(ours) is not None
    }
    # Penalties at 0 change nothing, and some Gemini models refuse any penalty at all.
    config |= {theirs: body[ours] for ours, theirs in _PENALTIES if body.get(ours)}
    max_tokens = body.get("max_completion_tokens")
    max_tokens = body.get("max_tokens") if max_tokens is None else max_tokens
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    response_format = body.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
    schema = (
        (response_format.get("json_schema") or {}).get("schema")
        if isinstance(response_format, dict) and kind == "json_schema"
        else None
    )
    if isinstance(schema, dict):
        config["responseSchema"] = gemini_schema(schema)
    effort = body.get("reasoning_effort")
    if effort in THINKING_BUDGETS:
        config["thinkingConfig"] = {"thinkingBudget": THINKING_BUDGETS[effort]}
    return config
