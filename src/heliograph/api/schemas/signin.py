"""Models of dashboard sign-in."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from heliograph.api.schemas.components import JsonSchema, component
from heliograph.api.schemas.envelope import Answer

SignInBody = Annotated[Any, component("SignInBody")]

COMPONENTS: dict[str, JsonSchema] = {
    "SignInBody": {
        "anyOf": [
            {
                "type": "object",
                "properties": {"apiKey": {"type": "string"}},
                "required": ["apiKey"],
                "title": "With a Heliograph API key",
            },
            {
                "type": "object",
                "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
                "required": ["email", "password"],
                "title": "With an e-mail and password",
            },
        ]
    }
}


class SignedInSession(Answer):
    organizationId: str
    email: str | None
    signedInWith: Literal["password", "api_key"]
    csrfToken: str
    role: Literal["owner", "admin", "member", "viewer"] | None = Field(
        default=None, description="A signed-in user's role in the organization (not a key's)"
    )
