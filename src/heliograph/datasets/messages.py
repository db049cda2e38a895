"""Reading a row's bodies as a conversation: the messages sent and the assistant's answer.

OpenAI chat bodies (`messages`, `choices[0].message`) and Anthropic's (`system`, `messages`,
`content` blocks) are understood; anything else has no conversation and is left out of a
fine-tuning export.
"""

from __future__ import annotations

from typing import Any


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def sent_messages(request: Any) -> list[dict[str, Any]]:
    """The messages a request sent, Anthropic's `system` as a first system message."""
    if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
        return []
    messages = [m for m in request["messages"] if isinstance(m, dict) and "role" in m]
    system = request.get("system")
    if system and not any(m.get("role") == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": _text_of(system)})
    return messages


def answer_message(response: Any) -> dict[str, Any] | None:
    """The assistant message of a response, or None (an error, an embedding)."""
    if not isinstance(response, dict):
        return None
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            kept = {k: v for k, v in message.items() if k in ("role", "content", "tool_calls")}
            if kept.get("content") is None and not kept.get("tool_calls"):
                return None
            return {**kept, "role": "assistant"}
    if response.get("type") == "message" and isinstance(response.get("content"), list):
        return {"role": "assistant", "content": _text_of(response["content"])}
    return None


def fine_tuning_example(request: Any, response: Any) -> dict[str, Any] | None:
    """OpenAI's fine-tuning line, `{"messages": [...]}` (with `tools` when the request had
    them), or None when the row holds no conversation with an answer."""
    messages = sent_messages(request)
    answer = answer_message(response)
    if not messages or answer is None:
        return None
    example: dict[str, Any] = {"messages": [*messages, answer]}
    if isinstance(request, dict) and isinstance(request.get("tools"), list):
        example["tools"] = request["tools"]
    return example


def last_user_text(request: Any) -> str:
    """The last user message's text (the CSV export's `user_message`)."""
    for message in reversed(sent_messages(request)):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def answer_text(response: Any) -> str:
    """The assistant's text (the CSV export's `assistant_response`)."""
    answer = answer_message(response)
    return _text_of(answer.get("content")) if answer else ""
