"""Datasets (Helicone's helicone_dataset and experiment datasets): curated copies of logged
requests and responses, each row keeping its own bodies so later log changes leave it as is.

Revision ID: m0011
Revises: m0010
"""

import sqlalchemy as sa
from alembic import op

revision = "m0011"
down_revision = "m0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("dataset_type", sa.String(16), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dataset_rows",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(36), nullable=False),
        sa.Column(
            "dataset_id",
            sa.String(36),
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("origin_request_id", sa.String(36), nullable=True),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=True),
        sa.Column("request_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dataset_id", "origin_request_id", name="uq_dataset_rows_origin"),
        sa.Index("ix_dataset_rows_page", "dataset_id", "created_at", "id"),
    )


def downgrade() -> None:
    for table in ("dataset_rows", "datasets"):
        op.drop_table(table)
