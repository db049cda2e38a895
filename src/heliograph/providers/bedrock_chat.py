"""OpenAI chat completions served by AWS Bedrock's Converse API, signed with SigV4.

Requests go from OpenAI's shape to Converse's (`/model/{id}/converse` or `converse-stream`);
answers, errors and the binary event stream (see bedrock_stream.py) come back in OpenAI's.
Bedrock has no API key here: the gateway calls `sign()` with the final URL, and botocore
finds the credentials (environment, profile, SSO, container or instance role).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import botocore.session
import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError

from heliograph.errors import AuthError, InvalidRequestError
from heliograph.providers import openai_shapes as oa
from heliograph.providers.base import dig
from heliograph.providers.bedrock_stream import BedrockStream, chat_completion, openai_error
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

SIGNING_NAME = "bedrock"  # the service in SigV4's scope, though the host is bedrock-runtime
IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg"}
IMAGE_FORMATS |= {"image/gif": "gif", "image/webp": "webp"}
NO_CREDENTIALS = (
    "No AWS credentials found for Bedrock: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(and AWS_SESSION_TOKEN for temporary ones), or configure a profile or role for botocore"
)


class BedrockChatAdapter:
    """Bedrock models (Claude, Llama, Mistral, Nova, ...) behind `/v1/chat/completions`."""

    name = "bedrock"
    provider = "BEDROCK"

    def __init__(self) -> None:
        self._credentials: Any = None  # botocore's; refreshable ones refresh themselves
        self._lock = threading.Lock()

    def chat_request(
        self, body: dict[str, Any], model: str, api_key: str, stream: bool
    ) -> UpstreamCall:
        # `api_key` is unused: Bedrock authenticates each request by its SigV4 signature.
        action = "converse-stream" if stream else "converse"
        payload = orjson.dumps(converse_request(body))
        headers = {"content-type": "application/json"}
        return UpstreamCall("POST", f"/model/{quote(model, safe='')}/{action}", headers, payload)

    def sign(self, url: str, headers: dict[str, str], body: bytes, region: str) -> dict[str, str]:
        """`headers` plus SigV4's (Authorization, X-Amz-Date, X-Amz-Security-Token) for a POST.

        Sign last: the signature covers the URL, the body and every header given here.
        """
        try:
            credentials = self._resolved_credentials().get_frozen_credentials()
        except BotoCoreError as exc:  # a missing profile, an expired SSO token, a failed refresh
            raise AuthError(f"AWS credentials for Bedrock are unusable: {exc}") from None
        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        SigV4Auth(credentials, SIGNING_NAME, region).add_auth(request)
        return {str(name): str(value) for name, value in request.headers.items()}

    def chat_response(self, data: bytes, model: str) -> bytes:
        response = oa.json_object(data, "Bedrock", "a Converse response")
        return orjson.dumps(chat_completion(response, model))

    def chat_stream(self, model: str, include_usage: bool) -> StreamTranslator:
        return BedrockStream(model, include_usage)

    def error_response(self, status: int, data: bytes) -> bytes:
        payload = oa.json_body(data)
        message = oa.error_text(data, status, "Bedrock")
        if isinstance(payload, dict):  # `{"message": ...}`; some AWS front ends say "Message"
            found = payload.get("message") or payload.get("Message")
            message = found if isinstance(found, str) else message
        return orjson.dumps(openai_error(status, message))

    def _resolved_credentials(self) -> Any:
        # Resolved once: botocore's chain may call the instance metadata service.
        with self._lock:
            if self._credentials is None:
                self._credentials = botocore.session.Session().get_credentials()
            if self._credentials is None:
                raise AuthError(NO_CREDENTIALS)
            return self._credentials


def converse_request(body: dict[str, Any]) -> dict[str, Any]:
    """The Converse body for an OpenAI chat-completions body (the model goes in the path)."""
    n = body.get("n")
    if isinstance(n, int) and n > 1:
        raise InvalidRequestError("n > 1 is not supported for Bedrock models")
    system, messages = alternating_turns(body.get("messages"), _TURN_BLOCKS)
    instruction = json_instruction(body.get("response_format"))
    if instruction:
        system.append({"text": instruction})
    request: dict[str, Any] = {"messages": messages}
    if system:
        request["system"] = system

    config: dict[str, Any] = {}
    max_tokens = first_int(body, "max_completion_tokens", "max_tokens")
    if max_tokens:
        config["maxTokens"] = max_tokens
    for key, name in (("temperature", "temperature"), ("top_p", "topP")):
        value = body.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            config[name] = min(value, 1)  # OpenAI allows up to 2, Converse up to 1
    stops = stop_sequences(body.get("stop"))
    if stops:
        config["stopSequences"] = stops
    if config:
        request["inferenceConfig"] = config

    tool_config = _tool_config(body.get("tools"), body.get("tool_choice"), messages)
    if tool_config:
        request["toolConfig"] = tool_config
    return request


def _content(content: Any, allowed: tuple[str, ...]) -> list[Block]:
    """Converse blocks for an OpenAI message content: a string or an array of parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content.strip() else []
    if not isinstance(content, list):
        raise InvalidRequestError("message content must be a string or an array of parts")
    blocks: list[Block] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if not isinstance(part, dict) or kind not in allowed:
            raise InvalidRequestError(f"content part {kind!r} is not supported here for Bedrock")
        if kind in ("text", "refusal"):
            text = part.get(kind)
            if isinstance(text, str) and text.strip():  # Converse refuses blank text blocks
                blocks.append({"text": text})
        else:
            blocks.append({"image": _image(part.get("image_url"))})
    return blocks


def _image(image: Any) -> Block:
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url.startswith("data:"):
        # Converse takes image bytes or an S3 location, never an http(s) URL to fetch.
        raise InvalidRequestError("image_url.url must be a base64 data: URL for Bedrock")
    header, comma, data = url[len("data:") :].partition(",")
    media_type = header.split(";", 1)[0].lower()
    if not comma or not header.endswith(";base64") or not data:
        raise InvalidRequestError("data: URLs must be base64-encoded")
    if media_type not in IMAGE_FORMATS:
        raise InvalidRequestError(f"image type {media_type!r} is not supported for Bedrock")
    # A blob in Converse's JSON is its base64 text, so the data URL's payload goes as it is.
    return {"format": IMAGE_FORMATS[media_type], "source": {"bytes": data}}


def _tool_use(call: Any) -> Block:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(call, dict) or not isinstance(function, dict):
        raise InvalidRequestError("assistant tool_calls must be function calls")
    use = {
        "toolUseId": call.get("id"),
        "name": function.get("name"),
        "input": tool_arguments(function.get("arguments")),
    }
    return {"toolUse": use}


def _tool_result(message: dict[str, Any]) -> Block:
    content = message.get("content")
    if isinstance(content, str):
        blocks = [_result_block(content)] if content else []
    else:
        blocks = _content(content, ("text",))
    return {"toolResult": {"toolUseId": message.get("tool_call_id"), "content": blocks}}


def _result_block(text: str) -> Block:
    """A JSON object goes as `json`, anything else as `text` (Converse's json must be one)."""
    if text.lstrip().startswith("{"):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            return {"json": parsed}
    return {"text": text}


def _tool_config(tools: Any, choice: Any, turns: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not isinstance(tools, list) or not tools:
        return None
    if choice == "none":
        # Converse cannot forbid tool calls; leaving the tools out does it, unless the
        # conversation holds tool blocks, which Converse refuses without a toolConfig.
        if not any("toolUse" in b or "toolResult" in b for t in turns for b in t["content"]):
            return None
        return {"tools": [_tool(tool) for tool in tools]}
    config: dict[str, Any] = {"tools": [_tool(tool) for tool in tools]}
    if choice == "auto":
        config["toolChoice"] = {"auto": {}}
    elif choice == "required":
        config["toolChoice"] = {"any": {}}
    elif isinstance(choice, dict) and choice.get("type") == "function":
        config["toolChoice"] = {"tool": {"name": dig(choice, "function", "name")}}
    return config


def _tool(tool: Any) -> Block:
    function = tool.get("function") if isinstance(tool, dict) else None
    if (
        not isinstance(tool, dict)
        or tool.get("type") != "function"
        or not isinstance(function, dict)
    ):
        raise InvalidRequestError("only function tools are supported for Bedrock")
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    spec: Block = {"name": function.get("name")}
    if function.get("description"):
        spec["description"] = function["description"]
    spec["inputSchema"] = {"json": schema}
    return {"toolSpec": spec}


_TURN_BLOCKS = TurnBlocks("Bedrock", ("text", "image_url"), _content, _tool_use, _tool_result)
