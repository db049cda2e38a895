"""Models of Helicone's provider-key routes under `/v1/api-keys/provider-key(s)`: the same
keys as the vault's, with Helicone's camel-case field names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.envelope import Answer
from heliograph.api.schemas.vault import (
    MAX_KEY_NAME_CHARS,
    MAX_PROVIDER_CHARS,
    MAX_PROVIDER_KEY_CHARS,
)


class CreateProviderKeyRequest(BaseModel):
    """Helicone's body. A second secret (`providerSecretKey`) and a `config` are not taken:
    Heliograph stores one key per provider key, so they are refused rather than dropped."""

    model_config = ConfigDict(extra="forbid")

    providerName: str = Field(min_length=1, max_length=MAX_PROVIDER_CHARS)
    providerKey: str = Field(min_length=1, max_length=MAX_PROVIDER_KEY_CHARS)
    providerKeyName: str = Field("", max_length=MAX_KEY_NAME_CHARS)


class UpdateProviderKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    providerKey: str = Field(min_length=1, max_length=MAX_PROVIDER_KEY_CHARS)


class ProviderKeyRow(Answer):
    """Helicone's `ProviderKeyRow`; the key itself only in `provider_key`, as a preview."""

    id: str
    org_id: str
    provider_name: str
    provider_key_name: str
    provider_key: str = Field(description="A preview only (Helicone answers it decrypted)")
    created_at: str
    soft_delete: bool = Field(description="Always false: deleted keys are gone")
    byok_enabled: bool = Field(description="Whether the gateway uses it (the vault's `active`)")


class ProviderKeyCreated(Answer):
    """The envelope, with Helicone's answer (`id`) also at the top level."""

    data: dict[str, str] = Field(description="`{id}`")
    error: None = None
    id: str


class ProviderKeyChanged(Answer):
    """The envelope, with Helicone's answer (`providerName`, and `id` for an update) also at
    the top level."""

    data: dict[str, str] = Field(description="`{id, providerName}`")
    error: None = None
    id: str
    providerName: str
