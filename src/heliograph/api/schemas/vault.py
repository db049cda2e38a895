"""Models of Helicone's vault (`/v1/vault/*`): the organization's provider keys, by another
name. Heliograph answers a key's preview where Helicone answers the decrypted key."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.envelope import Answer

MAX_PROVIDER_KEY_CHARS = 2048
MAX_PROVIDER_CHARS = 64
MAX_KEY_NAME_CHARS = 200


class AddVaultKeyParams(BaseModel):
    """Helicone's `AddVaultKeyParams`."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=MAX_PROVIDER_KEY_CHARS)
    provider: str = Field(
        min_length=1, max_length=MAX_PROVIDER_CHARS, description="A provider name (any case)"
    )
    name: str | None = Field(
        None, max_length=MAX_KEY_NAME_CHARS, description='Stored as "Untitled" when absent'
    )


class VaultKeyChange(BaseModel):
    """Helicone's vault update: a new secret, a new name, or (de)activation."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(None, min_length=1, max_length=MAX_PROVIDER_KEY_CHARS)
    name: str | None = Field(None, max_length=MAX_KEY_NAME_CHARS)
    active: bool | None = Field(None, description="An inactive key is kept but not used")


class VaultKeyId(Answer):
    id: str


class VaultKey(Answer):
    """Helicone's `DecryptedProviderKey`, with the key as a preview only."""

    id: str
    org_id: str
    provider_key: str = Field(
        description="A preview of the key (Helicone answers it decrypted; Heliograph never "
        "answers a stored provider key in full)"
    )
    provider_name: str
    provider_key_name: str
    provider_secret_key: None = Field(None, description="Always null: none is stored")
    active: bool
    created_at: str
