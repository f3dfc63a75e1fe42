"""Crisis mode (issue 15): each municipality's crisis, its history, and the staff API keys that switch it.

Revision ID: 0005_crisis
Revises: 0005_retention
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_crisis"
down_revision = "0005_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crises",
        sa.Column("municipality", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message_da", sa.Text, nullable=False),
        sa.Column("message_en", sa.Text, nullable=True),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(96), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "crisis_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("municipality", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(96), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_table(
        "admin_api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("admin_users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("admin_api_keys")
    op.drop_table("crisis_history")
    op.drop_table("crises")
