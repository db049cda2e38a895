"""Models of Helicone's proxy-key route (`POST /v1/api-keys/proxy-key`) and Heliograph's
listing and deletion of proxy keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.envelope import Answer
from heliograph.meta.names import MAX_NAME_CHARS, NAME_PATTERN


class NewProxyKey(BaseModel):
    """Helicone's body: the provider key it stands for, and a name."""

    model_config = ConfigDict(extra="forbid")

    providerKeyId: str = Field(min_length=1, max_length=64)
    proxyKeyName: str = Field(
        min_length=1,
        max_length=MAX_NAME_CHARS,
        json_schema_extra={"pattern": NAME_PATTERN},
        description="Stored trimmed; no control characters",
    )


class CreatedProxyKey(Answer):
    proxyKey: str = Field(description="The full proxy key: shown this once")
    proxyKeyId: str


class CreatedProxyKeyAnswer(Answer):
    """The envelope, with Helicone's answer (`proxyKey`, `proxyKeyId`) also at the top level."""

    data: CreatedProxyKey
    error: None = None
    proxyKey: str = Field(description="The full proxy key: shown this once")
    proxyKeyId: str


class ProxyKeyRow(Answer):
    """**Heliograph**: a proxy key, as a preview (Helicone's `helicone_proxy_keys` row)."""

    id: str
    helicone_proxy_key_name: str
    preview: str
    org_id: str
    provider_key_id: str
    provider_name: str
    created_at: str
