"""Settings, read once from defaults, a TOML file, the environment and the command line."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "HELIOGRAPH_"

DEFAULT_PROVIDER_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
}


class ConfigError(ValueError):
    """A setting has a value Heliograph cannot use."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8585
    data_dir: Path = Path(".heliograph")
    database_url: str = ""  # empty: SQLite file under data_dir
    # How long the request path trusts a looked-up API key and an organization's provider
    # keys; while the metadata database is down, the cached answers stand (docs/operations.md).
    key_cache_s: float = 60.0
    provider_key_cache_s: float = 30.0
    api_key: str = ""  # created for the default org at start when missing
    azure_api_version: str = "2024-10-21"
    aws_region: str = "us-east-1"  # Bedrock's default region (also AWS_REGION)
    redis_url: str = ""  # shared cache and rate limits for many gateway processes
    ratelimit_fail: str = "open"  # with Redis down: "open" lets calls through, "closed" refuses
    secret_key: str = ""  # encrypts stored provider keys; empty: a key file in data_dir
    demo: bool = False
    log_batch_rows: int = 2000
    log_batch_ms: int = 1000
    spool_fsync_ms: int = 1000
    # While the spool cannot be written (a full disk, no descriptors), log rows wait in a
    # memory buffer of this many bytes; once it is full, `log_loss_policy` applies: "refuse"
    # answers new calls 503 until logging works again, "drop" keeps serving and counts the
    # rows lost (docs/operations.md).
    log_memory_buffer_bytes: int = 64 * 1024 * 1024
    log_loss_policy: str = "refuse"
    # Limits at the edge (docs/security.md): a request head past its size or header count is
    # refused with 431, a longer request line with 414, a body past its route's limit with
    # 413, a head or a stalled body not received in time with 408, a connection past
    # max_connections with 503 (capped below the descriptor limit, see gateway/edge_limits.py).
    max_head_bytes: int = 128 * 1024  # as Cloudflare, which Helicone's own gateway runs behind
    max_header_count: int = 100
    max_url_bytes: int = 8 * 1024
    max_gateway_body_bytes: int = 100 * 1024 * 1024  # proxied and unified gateway calls
    max_async_log_body_bytes: int = 10 * 1024 * 1024  # async logging, as sent (Helicone: 10 MiB)
    max_api_body_bytes: int = 10 * 1024 * 1024  # every other REST API route
    head_timeout_s: float = 10.0  # from a connection's start or a request's first byte
    body_idle_timeout_s: float = 30.0  # longest wait for the next part of a request body
    keepalive_timeout_s: float = 5.0  # an idle connection between requests is closed after it
    max_connections: int = 1000
    upstream_connect_timeout_s: float = 10.0
    upstream_read_timeout_s: float = 600.0
    # The outbound policy (docs/security.md): hosts, host:port pairs and CIDR ranges calls
    # may reach besides global unicast addresses, e.g. "127.0.0.1:11434,10.0.0.0/8,ollama.lan".
    # Configured provider base URLs are allowed without being listed here.
    outbound_allow: str = ""
    # Retries one request may make across all its fallbacks (each fallback is still called
    # once), and the shortest wait between retries whatever Helicone-Retry-Min-Timeout asks.
    upstream_max_retries: int = 10
    upstream_retry_min_backoff_ms: int = 100
    # Webhooks (docs/webhooks.md): per-attempt timeout, first retry delay (doubling, at most
    # an hour apart) and how long a delivery is retried before it is marked failed.
    webhook_timeout_s: float = 120.0
    webhook_retry_base_ms: int = 10_000
    webhook_retry_window_s: float = 86_400.0
    # Alerts (docs/alerts.md): how often rules are evaluated, how long a metric must stay
    # under its threshold before the alert resolves, and the notification timeout.
    alert_check_seconds: float = 60.0
    alert_resolve_cooldown_seconds: float = 300.0
    alert_notify_timeout_s: float = 10.0
    # Fair reads (docs/security.md): the reads of one organization (HQL, request queries,
    # metrics, sessions, users...) in flight at once, how long one more waits for a slot
    # before it is answered 429, and the longest HQL query text checked (413 above).
    reads_per_org: int = 2
    read_queue_timeout_s: float = 15.0
    hql_max_sql_chars: int = 20_000
    # SMTP for alert e-mails; empty host: e-mail notifications fail (recorded in history).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "Heliograph Alerts <alerts@localhost>"
    smtp_starttls: bool = True
    # Sign-in throttling (docs/security.md): failed password sign-ins allowed per (e-mail,
    # client address) pair, per e-mail from all addresses and per address over all e-mails
    # before further attempts wait; the wait starts at signin_lockout_s and doubles with each
    # further failure up to signin_lockout_max_s. At most signin_throttle_entries are kept.
    signin_max_failures: int = 5
    signin_account_max_failures: int = 20
    signin_address_max_failures: int = 50
    signin_lockout_s: float = 30.0
    signin_lockout_max_s: float = 900.0
    signin_throttle_entries: int = 100_000
    # Password hashing runs on its own threads, never the pool proxied calls need; past
    # signin_hash_threads + signin_hash_queue waiting sign-ins, more are refused with 503.
    signin_hash_threads: int = 1
    signin_hash_queue: int = 8
    # Empty: the client address is the socket's peer. Behind a trusted reverse proxy, the
    # header it sets (e.g. "X-Forwarded-For": its last entry is used).
    signin_client_address_header: str = ""
    provider_base_urls: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_PROVIDER_BASE_URLS)
    )
    # Provider keys for the unified gateway: HELIOGRAPH_<NAME>_API_KEY, <NAME>_API_KEY or
    # `[providers.NAME] api_key`; never logged, never stored in rows.
    provider_api_keys: Mapping[str, str] = field(default_factory=dict)

    @property
    def metadata_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'metadata.db'}"

    def base_url(self, provider: str) -> str:
        return self.provider_base_urls[provider].rstrip("/")


_SCALARS = {
    f.name: f for f in fields(Settings) if f.name not in ("provider_base_urls", "provider_api_keys")
}
# Conventional environment variables of provider keys, beside HELIOGRAPH_<NAME>_API_KEY.
PROVIDER_KEY_ENV = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "together": ("TOGETHER_API_KEY", "TOGETHERAI_API_KEY"),
    "fireworks": ("FIREWORKS_API_KEY",),
    "perplexity": ("PERPLEXITY_API_KEY", "PERPLEXITYAI_API_KEY"),
    "azure": ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
}


def _coerce(name: str, raw: Any) -> Any:
    kind = type(getattr(Settings(), name))
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if kind is Path:
            return Path(raw)
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {raw!r} ({exc})") from None


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge settings: defaults < config file < environment < explicit overrides (the CLI)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    base_urls = dict(DEFAULT_PROVIDER_BASE_URLS)
    api_keys: dict[str, str] = {}

    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        try:
            document = tomllib.loads(Path(config_file).read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config_file} is not valid TOML: {exc}") from None
        for key, value in document.items():
            if key == "providers" and isinstance(value, dict):
                for provider, table in value.items():
                    if isinstance(table, dict) and "base_url" in table:
                        base_urls[provider.lower()] = str(table["base_url"])
                    if isinstance(table, dict) and "api_key" in table:
                        api_keys[provider.lower()] = str(table["api_key"])
            elif key in _SCALARS:
                values[key] = _coerce(key, value)
            else:
                raise ConfigError(f"config file {config_file}: unknown setting {key!r}")

    for name in _SCALARS:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = _coerce(name, raw)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if environ.get(name) and ENV_PREFIX + "AWS_REGION" not in environ:
            values.setdefault("aws_region", environ[name])
    for provider, names in PROVIDER_KEY_ENV.items():
        for name in names:
            if environ.get(name):
                api_keys.setdefault(provider, environ[name])
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX) and key.endswith("_BASE_URL") and raw:
            provider = key[len(ENV_PREFIX) : -len("_BASE_URL")].lower()
            if provider:
                base_urls[provider] = raw
        if (
            key.startswith(ENV_PREFIX)
            and key.endswith("_API_KEY")
            and key != ENV_PREFIX + "API_KEY"
        ):
            provider = key[len(ENV_PREFIX) : -len("_API_KEY")].lower()
            if provider and raw:
                api_keys[provider] = raw

    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce(name, value)

    settings = replace(
        Settings(), provider_base_urls=base_urls, provider_api_keys=api_keys, **values
    )
    if not 0 < settings.port < 65536:
        raise ConfigError(f"port must be between 1 and 65535, not {settings.port}")
    if settings.log_loss_policy not in ("refuse", "drop"):
        raise ConfigError(
            f'log_loss_policy must be "refuse" or "drop", not {settings.log_loss_policy!r}'
        )
    for name in (
        "reads_per_org",
        "read_queue_timeout_s",
        "hql_max_sql_chars",
        "key_cache_s",
        "provider_key_cache_s",
    ):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{name} must be positive, not {getattr(settings, name)}")
    return settings
