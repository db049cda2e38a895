"""Models of the API-key endpoints: Helicone's (`api_key_name`, `key_permissions`; answers
with `apiKey` and `hashedKey` at the top level) and the dashboard's (`name`, `data`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.envelope import Answer
from heliograph.meta.names import MAX_NAME_CHARS, NAME_PATTERN

KeyPermissions = Literal["rw", "r", "w"]


def _without_null(schema: dict[str, Any]) -> None:
    """The fields may be left out, not sent as null (null is taken as left out): the
    document does not offer null, so that a generated request never sends it."""
    for field in schema.get("properties", {}).values():
        branches = field.pop("anyOf", None)
        if branches is not None:
            field.update(next(b for b in branches if b.get("type") != "null"))


PERMISSIONS_HELP = "r: read (the REST API's reads); w: write (gateway, logging, REST writes); rw"


# Blank names and control characters are refused by the handler (meta/names.py), with its
# own message; the pattern only documents them.
KeyName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_CHARS, json_schema_extra={"pattern": NAME_PATTERN}),
]


def _one_name_without_null(schema: dict[str, Any]) -> None:
    _without_null(schema)
    schema["oneOf"] = [{"required": ["api_key_name"]}, {"required": ["name"]}]


def _changes_without_null(schema: dict[str, Any]) -> None:
    _without_null(schema)
    schema["anyOf"] = [
        {"required": ["api_key_name"]},
        {"required": ["name"]},
        {"required": ["key_permissions"]},
    ]
    schema["not"] = {"required": ["api_key_name", "name"]}


class NewApiKey(BaseModel):
    """Helicone's `{api_key_name, key_permissions}`, or the dashboard's `{name}`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_one_name_without_null)

    api_key_name: KeyName | None = Field(None, description="Helicone's name field; stored trimmed")
    name: KeyName | None = Field(None, description="The same, as the dashboard sends it")
    key_permissions: KeyPermissions = Field("rw", description=PERMISSIONS_HELP)


class ApiKeyChange(BaseModel):
    """Helicone's `{api_key_name}` (a rename), and `key_permissions` to change what it may do."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_changes_without_null)

    api_key_name: KeyName | None = Field(None, description="The new name; stored trimmed")
    name: KeyName | None = Field(None, description="The same, as the dashboard sends it")
    key_permissions: KeyPermissions | None = Field(None, description=PERMISSIONS_HELP)


class ApiKey(Answer):
    """A live key, as a preview only; Helicone's row fields with the dashboard's."""

    id: str
    name: str
    api_key_name: str = Field(description="Helicone's name of the same field")
    preview: str
    api_key_hash: str = Field(description="SHA-256 of the key, as `hashedKey` is answered")
    key_permissions: KeyPermissions
    organization_id: str
    created_at: str
    soft_delete: bool = Field(description="Always false: revoked keys are not listed")
    temp_key: bool = Field(description="Always false: Heliograph makes no temporary keys")
    current: bool = Field(description="Whether this is the key the caller is using")
    configured: bool = Field(
        description="Whether this is the server's HELIOGRAPH_API_KEY (revoked only there)"
    )


class CreatedApiKey(Answer):
    id: str
    name: str
    apiKey: str = Field(description="The full key: shown this once")
    hashedKey: str
    key_permissions: KeyPermissions


class CreatedApiKeyAnswer(Answer):
    """The envelope, with Helicone's answer (`id`, `apiKey`, `hashedKey`) also at the top
    level, where Helicone's clients read it."""

    data: CreatedApiKey
    error: None = None
    id: str
    apiKey: str = Field(description="The full key: shown this once")
    hashedKey: str


class ChangedApiKeyAnswer(Answer):
    """The envelope (the key as it is now, or null once revoked), with Helicone's answer,
    `hashedKey`, at the top level."""

    data: ApiKey | None
    error: None = None
    hashedKey: str
