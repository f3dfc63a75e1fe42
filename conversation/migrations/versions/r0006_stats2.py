"""The statistics' roll-up without the topic, indexes for today's figures, and the ratings' comments (issue 14).

Revision ID: 0006_stats2
Revises: 0005_stats
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_stats2"
down_revision = "0005_stats"
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

LIVE_DAY_INDEXES = (("ratings", "at"), ("voice_calls", "survey_answered_at"), ("sms_links", "created_at"))


def upgrade() -> None:
    op.create_table(
        "stats_channel_daily",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("municipality", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in COUNTERS),
    )
    op.create_index("ix_stats_channel_daily_municipality_day", "stats_channel_daily", ["municipality", "day"])
    # The days aggregated before this revision: their roll-up is the sum of their topics.
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    op.execute(
        f"INSERT INTO stats_channel_daily (day, municipality, channel, {', '.join(COUNTERS)}) "
        f"SELECT day, municipality, channel, {sums} FROM stats_daily GROUP BY day, municipality, channel"
    )
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))
    with op.batch_alter_table("voice_calls") as batch:
        batch.add_column(sa.Column("survey_comment", sa.Text(), nullable=True))
    # The figures of the days not aggregated yet (today, on every statistics page) read one day of
    # ratings, survey answers and SMS links: without these, a scan of a year of each.
    for table, column in LIVE_DAY_INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], if_not_exists=True)


def downgrade() -> None:
    for table, column in LIVE_DAY_INDEXES:
        op.drop_index(f"ix_{table}_{column}", table)
    with op.batch_alter_table("voice_calls") as batch:
        batch.drop_column("survey_comment")
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("comment")
    op.drop_index("ix_stats_channel_daily_municipality_day", "stats_channel_daily")
    op.drop_table("stats_channel_daily")
