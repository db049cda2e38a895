"""Alert rules and their history.

Revision ID: m0004
Revises: m0003
"""

import sqlalchemy as sa
from alembic import op

revision = "m0004"
down_revision = "m0003"
branch_labels = None
depends_on = None


def _organization_id() -> sa.Column[str]:
    return sa.Column(
        "organization_id",
        sa.String(36),
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    )


def _timestamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization_id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("time_window", sa.BigInteger(), nullable=False),
        sa.Column("minimum_request_count", sa.BigInteger(), nullable=True),
        sa.Column("aggregation", sa.String(16), nullable=True),
        sa.Column("percentile", sa.Float(), nullable=True),
        sa.Column("filter", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("webhook_urls", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _timestamp("cooldown_started_at", nullable=True),
        _timestamp("last_evaluated_at", nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_request_count", sa.BigInteger(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
    )
    op.create_index("ix_alerts_organization_id", "alerts", ["organization_id"])
    op.create_table(
        "alert_history",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization_id(),
        sa.Column(
            "alert_id",
            sa.String(36),
            sa.ForeignKey("alerts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("alert_name", sa.String(200), nullable=False),
        sa.Column("alert_metric", sa.String(64), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("triggered_value", sa.Float(), nullable=False),
        sa.Column("request_count", sa.BigInteger(), nullable=False),
        sa.Column("resolved_value", sa.Float(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _timestamp("alert_start_time"),
        _timestamp("alert_end_time", nullable=True),
        sa.Column("notifications", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
    )
    op.create_index("ix_alert_history_organization_id", "alert_history", ["organization_id"])
    op.create_index("ix_alert_history_alert_id", "alert_history", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_history_alert_id", "alert_history")
    op.drop_index("ix_alert_history_organization_id", "alert_history")
    op.drop_table("alert_history")
    op.drop_index("ix_alerts_organization_id", "alerts")
    op.drop_table("alerts")
