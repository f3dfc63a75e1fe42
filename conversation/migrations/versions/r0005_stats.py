"""Daily statistics for the staff console, and what the call log lacked for them (issue 14).

Revision ID: 0005_stats
Revises: 0005_crisis
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_stats"
down_revision = "0005_crisis"
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


# Full-text search over the redacted turns for the console's transcripts (conversation/statistics/search.py).
FTS_SQLITE = (
    "CREATE VIRTUAL TABLE turns_fts USING fts5(text, content='turns', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER turns_fts_ai AFTER INSERT ON turns BEGIN "
    "INSERT INTO turns_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER turns_fts_ad AFTER DELETE ON turns BEGIN "
    "INSERT INTO turns_fts(turns_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER turns_fts_au AFTER UPDATE OF text ON turns BEGIN "
    "INSERT INTO turns_fts(turns_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO turns_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO turns_fts(turns_fts) VALUES ('rebuild')",
)
FTS_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS turns_fts_ai",
    "DROP TRIGGER IF EXISTS turns_fts_ad",
    "DROP TRIGGER IF EXISTS turns_fts_au",
    "DROP TABLE IF EXISTS turns_fts",
)
FTS_POSTGRESQL = ("CREATE INDEX ix_turns_text_search ON turns USING gin (to_tsvector('simple', text))",)
FTS_POSTGRESQL_DROP = ("DROP INDEX IF EXISTS ix_turns_text_search",)


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
    op.create_table(
        "unanswered_questions",
        sa.Column("turn_id", sa.Integer(), primary_key=True),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.Integer(), nullable=True),
    )
    op.create_index("ix_unanswered_questions_municipality", "unanswered_questions", ["municipality"])
    op.create_index("ix_unanswered_questions_group_id", "unanswered_questions", ["group_id"])
    with op.batch_alter_table("voice_calls") as batch:
        for name, kind in CALL_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    for statement in FTS_POSTGRESQL if op.get_bind().dialect.name == "postgresql" else FTS_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    for statement in FTS_POSTGRESQL_DROP if op.get_bind().dialect.name == "postgresql" else FTS_SQLITE_DROP:
        op.execute(statement)
    with op.batch_alter_table("voice_calls") as batch:
        for name, _ in CALL_COLUMNS:
            batch.drop_column(name)
    op.drop_table("unanswered_questions")
    op.drop_table("stats_days")
    op.drop_table("stats_voice_daily")
    op.drop_table("stats_daily")
