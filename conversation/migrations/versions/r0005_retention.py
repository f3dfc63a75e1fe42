"""The booking backend's health (the integrations page) and the retention periods (issue 13).

Revision ID: 0005_retention
Revises: 0005_content
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_retention"
down_revision = "0005_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by the action server (booking/health.py), read by the console.
    op.create_table(
        "booking_calls",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation", sa.String(48), nullable=False),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.String(160), nullable=True),
    )
    op.create_index("ix_booking_calls_at", "booking_calls", ["at"])
    # How long each kind of data is kept, as the consortium admin set it (admin/retention.py).
    op.create_table(
        "retention_periods",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("retention_periods")
    op.drop_index("ix_booking_calls_at", table_name="booking_calls")
    op.drop_table("booking_calls")
