"""Suggested local values found on the municipalities' crawled websites (issue 13).

Revision ID: 0006_suggest
Revises: 0005_stats
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_suggest"
down_revision = "0006_stats2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_suggestions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("variable", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("snippet", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer, nullable=True),
        sa.UniqueConstraint("municipality", "variable", "value", name="uq_content_suggestions_value"),
    )
    op.create_index("ix_content_suggestions_municipality", "content_suggestions", ["municipality"])


def downgrade() -> None:
    op.drop_index("ix_content_suggestions_municipality", table_name="content_suggestions")
    op.drop_table("content_suggestions")
