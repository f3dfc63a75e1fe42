"""Daily statistics for the staff console, and what the call log lacked for them (issue 14).

Revision ID: 0005_stats
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_stats"
down_revision = "0004"
branch_labels = None
depends_on = None

SCORES = range(1, 10)
COUNTERS = (
    "conversations",
    "citizen_turns",
    "resolved",
    "handoffs",
    "handoff_asked_for_human",
    "handoff_unanswered",
    "handoff_safety",
    "handoff_booking_failure",
    "fallbacks",
    "bookings",
    "sms_links_sent",
    "ratings",
    "rating_sum",
    *(f"rating_{score}" for score in SCORES),
)
VOICE_COUNTERS = (
    "calls",
    "chose_assistant",
    "chose_agent",
    "transferred",
    "hung_up_in_menu",
    "in_hours",
    "outside_hours",
    "agent_waits",
    "agent_wait_s_sum",
    "agent_wait_within_60s",
)
CALL_COLUMNS = (
    ("in_hours", sa.Boolean()),
    ("agent_chosen_at", sa.DateTime(timezone=True)),
    ("transferred_at", sa.DateTime(timezone=True)),
    ("agent_answered_at", sa.DateTime(timezone=True)),
    ("survey_answered_at", sa.DateTime(timezone=True)),
)


def _counters(names: tuple[str, ...]) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in names]


def upgrade() -> None:
    op.create_table(
        "stats_daily",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("municipality", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("topic", sa.String(64), primary_key=True),
        *_counters(COUNTERS),
    )
    op.create_table(
        "stats_voice_daily",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("municipality", sa.String(64), primary_key=True),
        *_counters(VOICE_COUNTERS),
    )
    op.create_table(
        "stats_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("aggregated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("voice_calls") as batch:
        for name, kind in CALL_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voice_calls") as batch:
        for name, _ in CALL_COLUMNS:
            batch.drop_column(name)
    op.drop_table("stats_days")
    op.drop_table("stats_voice_daily")
    op.drop_table("stats_daily")
