"""The settings registry: every setting's type, default, help and checks.

settings_sources.py reads them from defaults, a TOML file, the environment and the command
line; settings_table.py shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from heliograph.errors import HeliographError
from heliograph.provider_specs import default_base_urls
from heliograph.setting_values import (
    is_bucket_name,
    is_fernet_key,
    is_http_url,
    is_identifier,
    is_key_prefix,
)

ENV_PREFIX = "HELIOGRAPH_"

DEFAULT_PROVIDER_BASE_URLS: dict[str, str] = default_base_urls()


class ConfigError(HeliographError, ValueError):
    """A setting has a value Heliograph cannot use."""


T = TypeVar("T")

# Units of the registry's bounds. An upper bound keeps a value from overflowing a timer or
# asking for memory no machine has; a lower bound keeps a timer from spinning.
MIB = 1024 * 1024
GIB = 1024 * MIB
HOUR_S = 3600
DAY_S = 24 * HOUR_S
TEN_MINUTES_MS = 600_000


@dataclass(frozen=True, slots=True)
class SettingInfo:
    """What the registry knows of a setting besides its type and default."""

    help: str
    shown_default: str = ""  # the default as the settings table shows it, when not the value
    low: float | None = None  # the smallest value allowed (inclusive)
    high: float | None = None  # the largest value allowed (inclusive)
    choices: tuple[str, ...] = ()
    option: str = ""  # the `heliograph serve` option that sets it, if any
    secret: bool = False  # never printed (`heliograph settings` shows it as set or not)
    # A check beyond type, range and choices, made on a value that is set (not empty), and
    # what a valid value looks like, for the error when the check fails.
    valid: Callable[[Any], bool] | None = None
    expected: str = ""
    # Settings that must be set as well when this one is (e.g. a bucket's endpoint needs the
    # bucket): a lone one would be ignored, silently.
    requires: tuple[str, ...] = ()


def setting(default: T, help: str, **info: Any) -> T:
    """A Settings field: its default, its help and its checks (the registry of settings).
    A secret is left out of the settings' repr, so that no log line or traceback shows it."""
    described = SettingInfo(help, **info)
    return field(default=default, repr=not described.secret, metadata={"info": described})


@dataclass(frozen=True)
class Settings:
    """Every setting of Heliograph; the README's settings table is generated from these."""

    host: str = setting("127.0.0.1", "Interface to listen on", option="--host")
    port: int = setting(
        8585, "Port to listen on (0: any free port)", low=0, high=65535, option="--port"
    )
    data_dir: Path = setting(
        Path(".heliograph"),
        "Where everything is stored (owner-only: 0700, files 0600)",
        shown_default="./.heliograph",
        option="--data-dir",
    )
    database_url: str = setting(
        "",
        "Metadata database; `postgresql+psycopg://...` for PostgreSQL",
        shown_default="SQLite in the data dir",
        secret=True,
    )
    clickhouse_url: str = setting(
        "",
        "Log store on a ClickHouse server or cluster, `https://USER:PASSWORD@HOST:8443` "
        "([store engines](docs/scale-out.md#store-engines))",
        shown_default="chDB in the data dir",
        secret=True,
        valid=is_http_url,
        expected="an http:// or https:// URL",
    )
    clickhouse_cluster: str = setting(
        "",
        "The ClickHouse cluster's name: migrations run `ON CLUSTER` it, with Replicated table "
        "engines",
        shown_default="none: one server",
        valid=is_identifier,
        expected="a ClickHouse identifier: letters, digits and `_`, not starting with a digit",
        requires=("clickhouse_url",),
    )
    key_cache_s: float = setting(
        60.0,
        "How long the request path trusts a looked-up API key; while the metadata database "
        "is down, cached answers stand ([operations]"
        "(docs/operations.md#when-the-metadata-database-is-down))",
        low=0.001,
        high=DAY_S,
    )
    provider_key_cache_s: float = setting(
        30.0, "The same for an organization's stored provider keys", low=0.001, high=DAY_S
    )
    prompt_cache_s: float = setting(
        10.0,
        "How long the gateway trusts which version a prompt's environment serves; this "
        "server's own changes apply at once ([prompts](docs/prompts.md#assembly-on-the-gateway))",
        low=0.001,
        high=DAY_S,
    )
    api_key: str = setting(
        "", "An API key created for the default organization at start when missing", secret=True
    )
    secret_key: str = setting(
        "",
        "Encrypts stored provider keys; signs prompt-body URLs",
        shown_default="a key file in the data dir",
        secret=True,
        valid=is_fernet_key,
        expected="a Fernet key: 32 bytes in URL-safe base64, 44 characters "
        "(`openssl rand -base64 32 | tr '+/' '-_'` makes one)",
    )
    public_url: str = setting(
        "",
        "The URL clients reach this server at (behind a proxy, its https:// URL): signed "
        "prompt-body URLs start with it ([prompts](docs/prompts.md))",
        shown_default="the URL each request came to",
    )
    # Prompt bodies in an S3-compatible object store (prompts/s3_bodies.py).
    s3_bucket: str = setting(
        "",
        "Keeps prompt bodies in this bucket of an S3-compatible object store; a version's "
        "`s3_url` is then the store's presigned URL ([prompts]"
        "(docs/prompts.md#scale-out-bodies-in-s3))",
        shown_default="none: in the metadata database",
        valid=is_bucket_name,
        expected="a bucket name: 3-63 lower-case letters, digits, `.` and `-`, starting and "
        "ending with a letter or digit",
    )
    s3_endpoint_url: str = setting(
        "",
        "The object store's URL (MinIO, Ceph, R2...), reached by this server and by whoever "
        "fetches an `s3_url`",
        shown_default="AWS S3",
        valid=is_http_url,
        expected="an http:// or https:// URL",
        requires=("s3_bucket",),
    )
    s3_region: str = setting(
        "",
        "The bucket's region",
        shown_default="`aws_region`",
        requires=("s3_bucket",),
    )
    s3_access_key_id: str = setting(
        "",
        "The store's access key id, with `s3_secret_access_key`",
        shown_default="botocore's chain: `AWS_ACCESS_KEY_ID`, a profile, an instance role",
        requires=("s3_bucket", "s3_secret_access_key"),
    )
    s3_secret_access_key: str = setting(
        "",
        "Its secret access key; never logged",
        shown_default="none",
        secret=True,
        requires=("s3_bucket", "s3_access_key_id"),
    )
    s3_key_prefix: str = setting(
        "prompt-bodies/",
        "Where in the bucket bodies go: PREFIX + organization id + `/` + version id + `.json`",
        valid=is_key_prefix,
        expected="at most 512 characters, no control characters, not starting with `/`",
        requires=("s3_bucket",),
    )
    demo: bool = setting(
        False,
        "A mock provider, sample traffic and a signed-in dashboard",
        option="--demo",
    )
    azure_api_version: str = setting("2024-10-21", "The `api-version` of Azure OpenAI calls")
    aws_region: str = setting(
        "us-east-1", "Bedrock's region when a model names none (also `AWS_REGION`)"
    )
    redis_url: str = setting(
        "",
        "Redis for a cache and rate limits shared by many gateway processes",
        shown_default="none: in-process",
        secret=True,
    )
    ratelimit_fail: str = setting(
        "open",
        "With Redis down: `open` lets calls through, `closed` refuses them",
        choices=("open", "closed"),
    )
    log_stream: str = setting(
        "",
        "Redis stream between the gateway role (`heliograph gateway`, which appends its log "
        "batches) and `heliograph serve` (which stores them) "
        "([scale-out](docs/scale-out.md#many-machines-the-gateway-role-and-a-log-stream))",
        shown_default="none",
        requires=("redis_url",),
    )
    log_batch_rows: int = setting(
        2000, "Log rows stored in one batch at most", low=1, high=1_000_000
    )
    log_batch_ms: int = setting(
        1000,
        "Longest wait before a batch of log rows is stored",
        low=10,  # the writer wakes this often even when idle: 1 ms keeps a core busy
        high=TEN_MINUTES_MS,
    )
    spool_fsync_ms: int = setting(
        1000,
        "How often the spool is synced to disk (a process kill loses nothing either way)",
        low=10,
        high=TEN_MINUTES_MS,
    )
    log_memory_buffer_bytes: int = setting(
        64 * 1024 * 1024,
        "Bytes of log rows held in memory while the spool cannot be written "
        "(a full disk, no descriptors)",
        low=0,
        high=64 * GIB,
    )
    log_loss_policy: str = setting(
        "refuse",
        "Once that buffer is full: `refuse` answers new calls 503 until logging works, "
        "`drop` keeps serving and counts the rows lost ([operations](docs/operations.md))",
        choices=("refuse", "drop"),
    )
    # Limits at the edge (docs/security.md): see gateway/edge_limits.py.
    max_head_bytes: int = setting(
        128 * 1024,
        "Request head size; more is refused with 431 (Cloudflare's limit, which Helicone's "
        "own gateway runs behind)",
        low=1024,
        high=16 * MIB,
    )
    max_header_count: int = setting(
        100, "Request headers; more are refused with 431", low=1, high=10_000
    )
    max_url_bytes: int = setting(
        8 * 1024, "Request line; longer is refused with 414", low=64, high=MIB
    )
    max_gateway_body_bytes: int = setting(
        100 * MIB, "Body of a proxied or unified gateway call (413 above)", low=1, high=4 * GIB
    )
    max_async_log_body_bytes: int = setting(
        10 * MIB, "Body of an async log, as sent (Helicone: 10 MiB)", low=1, high=GIB
    )
    max_api_body_bytes: int = setting(10 * MIB, "Body of any other REST API call", low=1, high=GIB)
    head_timeout_s: float = setting(
        10.0,
        "Seconds to receive a request head, from a connection's start (408)",
        low=0.001,
        high=HOUR_S,
    )
    body_idle_timeout_s: float = setting(
        30.0, "Longest wait for the next part of a request body (408)", low=0.001, high=HOUR_S
    )
    keepalive_timeout_s: float = setting(
        5.0, "An idle connection between requests is closed after it", low=0.001, high=HOUR_S
    )
    max_connections: int = setting(
        1000,
        "Open connections; more are answered 503 (lowered to fit the descriptor limit)",
        low=1,
        high=1_000_000,
    )
    upstream_connect_timeout_s: float = setting(
        10.0, "Seconds to connect to a provider", low=0.001, high=HOUR_S
    )
    upstream_read_timeout_s: float = setting(
        600.0, "Longest wait for the next bytes of a provider's answer", low=0.001, high=DAY_S
    )
    outbound_allow: str = setting(
        "",
        "Hosts, host:port pairs and CIDR ranges outbound calls may reach besides global "
        'addresses, e.g. "127.0.0.1:11434,10.0.0.0/8,ollama.lan"; configured provider base '
        "URLs are allowed without being listed ([outbound policy]"
        "(docs/security.md#the-outbound-policy))",
        shown_default="none",
    )
    moderation_fail: str = setting(
        "closed",
        "When OpenAI's moderation endpoint gives no verdict on a call sent with "
        "Helicone-Moderations-Enabled: `closed` refuses the call 503, `open` sends it "
        "unchecked; the row says which ([moderation](docs/security.md#moderation))",
        choices=("closed", "open"),
    )
    moderation_timeout_s: float = setting(
        10.0,
        "Longest wait for OpenAI's moderation endpoint, connecting included",
        low=0.001,
        high=HOUR_S,
    )
    llm_security_threshold: float = setting(
        0.4275,
        "Helicone-LLM-Security-Enabled's base tier: a user message the injection classifier "
        "scores at or over this probability is a threat, refused 400 PROMPT_THREAT_DETECTED "
        "(the default is the shipped model's, 3% false positives on its validation sets; "
        "[LLM security](docs/security.md#llm-security))",
        low=0.0,
        high=1.0,
    )
    llm_security_thresholds: str = setting(
        "",
        "Per-organization thresholds over llm_security_threshold, e.g. "
        '"ORG_ID=0.9,OTHER_ORG_ID=0.2"',
        shown_default="none",
        valid=lambda text: _org_thresholds_valid(text),
        expected="ORGANIZATION_ID=THRESHOLD pairs, comma-separated, thresholds from 0 to 1",
    )
    upstream_max_retries: int = setting(
        10, "Retries one request may make across all its fallbacks", low=0, high=100
    )
    upstream_retry_min_backoff_ms: int = setting(
        100,
        "Shortest wait between retries, whatever Helicone-Retry-Min-Timeout asks",
        low=0,
        high=TEN_MINUTES_MS,
    )
    webhook_timeout_s: float = setting(
        120.0,
        "Timeout of one webhook delivery attempt ([webhooks](docs/webhooks.md))",
        low=0.001,
        high=HOUR_S,
    )
    webhook_retry_base_ms: int = setting(
        10_000, "First webhook retry delay, doubling up to an hour", low=1, high=HOUR_S * 1000
    )
    webhook_retry_window_s: float = setting(
        86_400.0,
        "How long a webhook delivery is retried before it is marked failed",
        low=0,
        high=30 * DAY_S,
    )
    python_evaluators_enabled: bool = setting(
        True,
        "Run Python evaluators (user code in a sandboxed subprocess); off refuses them "
        "([evaluators](docs/datasets-evals-experiments.md#python-evaluators))",
    )
    python_evaluator_cpu_s: int = setting(
        2, "CPU seconds one Python evaluator run may use", low=1, high=600
    )
    python_evaluator_memory_mb: int = setting(
        256, "Address space (MiB) of one Python evaluator run", low=64, high=64 * 1024
    )
    python_evaluator_timeout_s: float = setting(
        5.0, "Wall-clock time one Python evaluator run may take", low=0.1, high=HOUR_S
    )
    python_evaluator_workers: int = setting(
        2, "Python evaluator runs at once (more wait, up to 8 each)", low=1, high=64
    )
    online_evaluation_concurrency: int = setting(
        4, "Online evaluations (judge calls, Python runs) in flight at once", low=1, high=256
    )
    online_evaluation_busy_share: float = setting(
        2.5,
        "Percent of the time online evaluation runs, one job at a time, while other calls "
        "are being logged (the backlog drains at full speed when traffic eases)",
        low=0.1,
        high=100,
    )
    online_evaluation_timeout_s: float = setting(
        120.0,
        "Time one online evaluation may take before it is retried",
        low=0.1,
        high=HOUR_S,
    )
    online_evaluation_max_queued: int = setting(
        100_000,
        "Online evaluation jobs waiting at most (every process); past it new jobs are dropped "
        "and counted (`/healthz`: `online_evaluation.dropped`)",
        low=1,
        high=100_000_000,
    )
    experiment_concurrency: int = setting(
        8,
        "Experiment calls in flight at once, shared fairly by the organizations running one",
        low=1,
        high=256,
    )
    experiment_timeout_s: float = setting(
        300.0,
        "Time one experiment call may take before it is tried again",
        low=1,
        high=HOUR_S,
    )
    alert_check_seconds: float = setting(
        60.0,
        "How often alert rules are evaluated ([alerts](docs/alerts.md))",
        low=0.1,  # each evaluation queries the store
        high=DAY_S,
    )
    alert_resolve_cooldown_seconds: float = setting(
        300.0,
        "How long a metric stays under its threshold before its alert resolves",
        low=0,
        high=30 * DAY_S,
    )
    alert_notify_timeout_s: float = setting(
        10.0, "Timeout of an alert notification", low=0.001, high=HOUR_S
    )
    reads_per_org: int = setting(
        2,
        "Reads of one organization (HQL, request queries, metrics...) in flight at once "
        "([fair shares](docs/security.md#fair-shares-between-organizations))",
        low=1,
        high=1000,
    )
    read_queue_timeout_s: float = setting(
        15.0,
        "How long one more read waits for a slot before it is answered 429",
        low=0.001,
        high=HOUR_S,
    )
    hql_max_sql_chars: int = setting(
        20_000, "Longest HQL query text (413 above)", low=1, high=1_000_000
    )
    smtp_host: str = setting(
        "", "SMTP server for alert e-mails", shown_default="none: alert e-mails fail, recorded"
    )
    smtp_port: int = setting(587, "SMTP port", low=1, high=65535)
    smtp_username: str = setting("", "SMTP user name", shown_default="none")
    smtp_password: str = setting("", "SMTP password", shown_default="none", secret=True)
    smtp_from: str = setting("Heliograph Alerts <alerts@localhost>", "Sender of alert e-mails")
    smtp_starttls: bool = setting(True, "Use STARTTLS with the SMTP server")
    # Sign-in throttling (docs/security.md#sign-in-throttling-and-worker-pools).
    signin_max_failures: int = setting(
        5,
        "Failed sign-ins per (e-mail, client address) before further attempts wait",
        low=1,
        high=1_000_000,
    )
    signin_account_max_failures: int = setting(
        20,
        "Failed sign-ins per e-mail from all addresses before attempts wait",
        low=1,
        high=1_000_000,
    )
    signin_address_max_failures: int = setting(
        50,
        "Failed sign-ins per client address over all e-mails before attempts wait",
        low=1,
        high=1_000_000,
    )
    signin_lockout_s: float = setting(
        30.0,
        "The first wait after too many failures; doubles with each further one",
        low=0,
        high=DAY_S,
    )
    signin_lockout_max_s: float = setting(900.0, "The longest such wait", low=0, high=7 * DAY_S)
    signin_throttle_entries: int = setting(
        100_000, "Sign-in failure records kept at most", low=1, high=10_000_000
    )
    signin_hash_threads: int = setting(
        1, "Threads hashing passwords (never the pool proxied calls need)", low=1, high=64
    )
    signin_hash_queue: int = setting(
        8, "Sign-ins waiting for a hashing thread; more are refused with 503", low=0, high=10_000
    )
    signin_client_address_header: str = setting(
        "",
        'Behind a trusted reverse proxy, the header it sets (e.g. "X-Forwarded-For": its '
        "last entry is used)",
        shown_default="none: the socket's peer",
    )
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


def scalar_settings() -> list[str]:
    """The names of every setting but the two provider maps, in declaration order."""
    return list(_SCALARS)


def org_thresholds(text: str) -> dict[str, float]:
    """`llm_security_thresholds` as a mapping; ValueError when it is not well formed."""
    thresholds: dict[str, float] = {}
    for pair in filter(None, (item.strip() for item in text.split(","))):
        organization, sep, value = pair.partition("=")
        threshold = float(value)  # ValueError when not a number
        if not sep or not organization.strip() or not 0.0 <= threshold <= 1.0:
            raise ValueError(f"not ORGANIZATION_ID=THRESHOLD (0 to 1): {pair!r}")
        thresholds[organization.strip()] = threshold
    return thresholds


def _org_thresholds_valid(text: str) -> bool:
    try:
        org_thresholds(text)
    except ValueError:
        return False
    return True


def setting_info(name: str) -> SettingInfo:
    info: SettingInfo = _SCALARS[name].metadata["info"]
    return info
