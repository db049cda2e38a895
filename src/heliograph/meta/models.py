"""Metadata tables (SQLAlchemy 2): organizations, keys, users, alerts, webhooks, prompts (and
Helicone's legacy prompts), evaluators and their online evaluation queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProviderKey(Base):
    """An organization's own key for an upstream provider, encrypted at rest."""

    __tablename__ = "provider_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    encrypted_key: Mapped[str] = mapped_column(String(4096))
    key_preview: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Helicone's vault `active`: an inactive key stays stored but the gateway does not use it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_preview: Mapped[str] = mapped_column(String(32))
    # Helicone's `key_permissions`: "r" (read), "w" (write: gateway, logging) or "rw".
    key_permissions: Mapped[str] = mapped_column(String(2), default="rw", server_default="rw")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ProxyKey(Base):
    """Helicone's proxy key: a key that stands for one provider key on the passthrough
    routes (stored hashed, like API keys)."""

    __tablename__ = "proxy_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    provider_key_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("provider_keys.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_preview: Mapped[str] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person who signs in to the dashboard: a member of one organization or more
    (organization_members); `organization_id` is the one a sign-in starts in."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set by an operator: the user can no longer sign in, and their sessions were ended.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OrganizationMember(Base):
    """A user's membership of an organization, with its role (Helicone's `organization_member`:
    owner, admin, member; viewer is Heliograph's). A user may belong to several."""

    __tablename__ = "organization_members"

    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    org_role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OrganizationLayout(Base):
    """An organization's saved filters for one screen (Helicone's `organization_layout`)."""

    __tablename__ = "organization_layouts"
    __table_args__ = (UniqueConstraint("organization_id", "type"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))  # "dashboard" or "requests"
    filters: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebSession(Base):
    """A signed-in dashboard session; the cookie holds the token, we keep only its hash."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    api_key_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Alert(Base):
    """An alert rule (Helicone's `alert`): a metric over a time window against a threshold."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[float] = mapped_column(Float)
    time_window: Mapped[int] = mapped_column(BigInteger)  # milliseconds
    minimum_request_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    aggregation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    percentile: Mapped[float | None] = mapped_column(Float, nullable=True)
    filter: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    emails: Mapped[list[str]] = mapped_column(JSON)
    webhook_urls: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="resolved")
    # When the metric first fell back under the threshold while triggered (resolve cooldown).
    cooldown_started_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    last_evaluated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_request_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AlertHistory(Base):
    """One breach of an alert: when it triggered, its value, when it resolved, who was told."""

    __tablename__ = "alert_history"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    alert_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    alert_name: Mapped[str] = mapped_column(String(200))
    alert_metric: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[float] = mapped_column(Float)
    triggered_value: Mapped[float] = mapped_column(Float)
    request_count: Mapped[int] = mapped_column(BigInteger)
    resolved_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    alert_start_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    alert_end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # One entry per delivery attempt: channel, target, event, ok, error, at.
    notifications: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Webhook(Base):
    """A destination the organization's logged requests are POSTed to, signed with its secret."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    destination: Mapped[str] = mapped_column(String(2048))
    version: Mapped[str] = mapped_column(String(32))
    config: Mapped[str] = mapped_column(Text)  # JSON: sampleRate, propertyFilters, includeData
    encrypted_hmac_key: Mapped[str] = mapped_column(String(512))  # Fernet, needed to sign
    hmac_key_preview: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookDelivery(Base):
    """One request to send to one webhook: the durable delivery queue."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "request_id", name="uq_webhook_deliveries_request"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("webhooks.id", ondelete="CASCADE")
    )
    organization_id: Mapped[str] = mapped_column(String(36))
    request_id: Mapped[str] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON sent (and signed)
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookDeliveryAttempt(Base):
    """The delivery log: one row per attempt to send a delivery."""

    __tablename__ = "webhook_delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SavedQuery(Base):
    """An HQL query saved by an organization (Helicone's `saved_queries`)."""

    __tablename__ = "saved_queries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    sql: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HiddenPropertyKey(Base):
    """A custom property key an organization hid from its property list (Helicone's
    `helicone_hidden_property_keys`). Keyed by a digest of the case-folded key: keys are
    matched case-insensitively and may be longer than an index entry allows."""

    __tablename__ = "hidden_property_keys"

    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    key_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Prompt(Base):
    """A managed prompt (Helicone's `prompts_2025`): a name and tags over its versions."""

    __tablename__ = "prompts"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # 6 characters, as Helicone's
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PromptTag(Base):
    """One tag of a prompt; `position` keeps the order they were given in."""

    __tablename__ = "prompt_tags"

    prompt_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("prompts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    position: Mapped[int] = mapped_column(Integer)


class PromptVersion(Base):
    """One immutable version of a prompt; its body is kept by the body store (prompts/bodies.py).

    A deleted version stays as a tombstone (`deleted_at`) so that its number is never given
    again: the unique constraint is what makes concurrent numbering safe.
    """

    __tablename__ = "prompt_versions"
    __table_args__ = (
        UniqueConstraint(
            "prompt_id", "major_version", "minor_version", name="uq_prompt_versions_number"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    prompt_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("prompts.id", ondelete="CASCADE"), index=True
    )
    major_version: Mapped[int] = mapped_column(Integer)
    minor_version: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(256))
    commit_message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PromptEnvironment(Base):
    """Which version of a prompt an environment (production, staging, any name) serves."""

    __tablename__ = "prompt_environments"

    prompt_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("prompts.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    version_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("prompt_versions.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PromptBody(Base):
    """A version's body (OpenAI chat JSON) in the embedded body store; written before the
    version row, so no foreign key: a body whose version never got stored is an orphan."""

    __tablename__ = "prompt_bodies"

    version_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    body: Mapped[str] = mapped_column(Text)


class LegacyPrompt(Base):
    """A prompt of Helicone's legacy prompts (its `prompt_v2`): made by the first logged call
    carrying `Helicone-Prompt-Id`, whose value is the prompt's `user_defined_id`."""

    __tablename__ = "legacy_prompts"
    __table_args__ = (
        UniqueConstraint(
            "organization_id", "user_defined_id", name="uq_legacy_prompts_user_defined_id"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_defined_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LegacyPromptVersion(Base):
    """A template of a legacy prompt (Helicone's `prompts_versions`): a new one is made when a
    logged call's template differs from the newest. The unique number keeps concurrent
    writers from giving one number twice."""

    __tablename__ = "legacy_prompt_versions"
    __table_args__ = (
        UniqueConstraint(
            "prompt_id", "major_version", "minor_version", name="uq_legacy_prompt_versions_number"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    prompt_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("legacy_prompts.id", ondelete="CASCADE"), index=True
    )
    major_version: Mapped[int] = mapped_column(Integer)
    minor_version: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(Text)  # JSON, in the order the call sent it
    template_hash: Mapped[str] = mapped_column(String(64))  # of its canonical JSON
    model: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LegacyPromptInput(Base):
    """The inputs (and auto inputs) one logged call filled a legacy version with (Helicone's
    `prompt_input_record`)."""

    __tablename__ = "legacy_prompt_inputs"
    __table_args__ = (
        UniqueConstraint("organization_id", "request_id", name="uq_legacy_prompt_inputs_request"),
        Index("ix_legacy_prompt_inputs_version", "version_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(36))
    request_id: Mapped[str] = mapped_column(String(36))
    version_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("legacy_prompt_versions.id", ondelete="CASCADE")
    )
    inputs: Mapped[dict[str, str]] = mapped_column(JSON)
    auto_inputs: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Evaluator(Base):
    """An evaluator (Helicone's `evaluator`): an LLM-as-judge template with its scoring type,
    or Python code, whose result is a score named after it."""

    __tablename__ = "evaluators"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    scoring_type: Mapped[str] = mapped_column(String(32))  # LLM-BOOLEAN | LLM-RANGE | ... | PYTHON
    llm_template: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    code_template: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OnlineEvaluator(Base):
    """An evaluator attached to live traffic (Helicone's `online_evaluators`): the requests
    its property filters match, sampled at its rate, are scored in the background."""

    __tablename__ = "online_evaluators"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    evaluator_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("evaluators.id", ondelete="CASCADE"), index=True
    )
    config: Mapped[str] = mapped_column(Text)  # JSON: sampleRate, propertyFilters
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EvaluationJob(Base):
    """One logged request to score with one online evaluator: the durable job queue. Unique
    per (online evaluator, request), so a replayed row never queues twice."""

    __tablename__ = "evaluation_jobs"
    __table_args__ = (
        UniqueConstraint("online_evaluator_id", "request_id", name="uq_evaluation_jobs_request"),
        Index("ix_evaluation_jobs_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    online_evaluator_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("online_evaluators.id", ondelete="CASCADE")
    )
    organization_id: Mapped[str] = mapped_column(String(36))
    request_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
