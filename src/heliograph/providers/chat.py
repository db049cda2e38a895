"""The contract between the unified gateway and a provider that does not speak OpenAI.

The gateway takes OpenAI chat-completions bodies. An adapter turns one into its provider's
wire format and turns the provider's answer (JSON, SSE stream or error) back into OpenAI's
shapes, so clients and the log always see OpenAI-format bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class UpstreamCall:
    """One HTTP call to a provider."""

    method: str
    path: str  # appended to the provider's base URL, e.g. "/v1/messages"
    headers: dict[str, str]  # authentication and provider headers, content-type included
    body: bytes


class StreamTranslator(Protocol):
    def feed(self, chunk: bytes) -> bytes:
        """Provider stream bytes in (any chunking); OpenAI SSE bytes out (possibly b"")."""

    def finish(self) -> bytes:
        """What is left once the provider stream ended, ending with `data: [DONE]\\n\\n`."""


class ChatAdapter(Protocol):
    name: str  # configuration name, e.g. "anthropic"
    provider: str  # Helicone's provider name, e.g. "ANTHROPIC"

    def chat_request(
        self, body: dict[str, Any], model: str, api_key: str, stream: bool
    ) -> UpstreamCall:
        """The provider call for an OpenAI chat-completions body, aimed at `model`."""

    def chat_response(self, data: bytes, model: str) -> bytes:
        """A successful provider JSON answer as an OpenAI `chat.completion` JSON document."""

    def chat_stream(self, model: str, include_usage: bool) -> StreamTranslator:
        """A translator from the provider's stream to OpenAI `chat.completion.chunk` SSE."""

    def error_response(self, status: int, data: bytes) -> bytes:
        """A provider error body as OpenAI's `{"error": {"message", "type", "code"}}`."""


@runtime_checkable
class SignsRequests(Protocol):
    """An adapter whose calls must be signed with the final URL and body (AWS SigV4)."""

    def sign(self, url: str, headers: dict[str, str], body: bytes, region: str) -> dict[str, str]:
        """The headers plus the signature; may block (credential refresh): run in a thread."""
