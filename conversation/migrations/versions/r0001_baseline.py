"""Baseline: the schema the stores made with create_all before Alembic (conversation log, calls, SMS links).

A database made that way has no alembic_version table. Upgrading it runs this revision, which
keeps every table that is already there (after checking its columns are the ones expected) and
creates the missing ones: a gateway without voice never made `voice_calls`.

Revision ID: 0001
Revises:
Create Date: 2026-05-10
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _conversations() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
    )
    op.create_index("ix_conversations_municipality", "conversations", ["municipality"])
    op.create_index("ix_conversations_started_at", "conversations", ["started_at"])


def _turns() -> None:
    op.create_table(
        "turns",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=True),
        sa.Column("handoff", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
    )
    op.create_index("ix_turns_conversation_id", "turns", ["conversation_id"])


def _knowledge_gaps() -> None:
    op.create_table(
        "knowledge_gaps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("variable", sa.String(128), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("municipality", "topic", "variable", name="uq_knowledge_gap"),
    )


def _ratings() -> None:
    op.create_table(
        "ratings",
        sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id"), primary_key=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def _voice_calls() -> None:
    op.create_table(
        "voice_calls",
        sa.Column("call_sid", sa.String(64), primary_key=True),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conversation_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("keypad", sa.Text(), nullable=False),
        sa.Column("assistant_turns", sa.Integer(), nullable=False),
        sa.Column("handoff", sa.Boolean(), nullable=False),
        sa.Column("transferred", sa.Boolean(), nullable=False),
        sa.Column("survey_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caller_hash", sa.String(64), nullable=True),
        sa.Column("survey_score", sa.Integer(), nullable=True),
    )
    op.create_index("ix_voice_calls_municipality", "voice_calls", ["municipality"])
    op.create_index("ix_voice_calls_started_at", "voice_calls", ["started_at"])
    op.create_index("ix_voice_calls_caller_hash", "voice_calls", ["caller_hash"])


def _sms_links() -> None:
    op.create_table(
        "sms_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key_name", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("recipient_hash", sa.String(64), nullable=False),
        sa.Column("recipient_masked", sa.String(16), nullable=False),
        sa.Column("municipality", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=True),
        sa.UniqueConstraint("key_name", "idempotency_key", name="uq_sms_link_request"),
    )
    op.create_index("ix_sms_links_recipient_hash", "sms_links", ["recipient_hash"])


# In foreign-key order; each with the columns create_all gave it.
TABLES: dict[str, tuple[Callable[[], None], frozenset[str]]] = {
    "conversations": (_conversations, frozenset({"id", "municipality", "channel", "started_at", "topic"})),
    "turns": (
        _turns,
        frozenset({"id", "conversation_id", "at", "role", "text", "topic", "source", "handoff", "latency_ms"}),
    ),
    "knowledge_gaps": (
        _knowledge_gaps,
        frozenset({"id", "municipality", "topic", "variable", "first_seen", "last_seen", "count"}),
    ),
    "ratings": (_ratings, frozenset({"conversation_id", "score", "at"})),
    "voice_calls": (
        _voice_calls,
        frozenset(
            {
                "call_sid",
                "municipality",
                "started_at",
                "conversation_id",
                "status",
                "status_rank",
                "ended_at",
                "duration_s",
                "choices",
                "topics",
                "keypad",
                "assistant_turns",
                "handoff",
                "transferred",
                "survey_sent_at",
                "caller_hash",
                "survey_score",
            }
        ),
    ),
    "sms_links": (
        _sms_links,
        frozenset(
            {
                "id",
                "key_name",
                "idempotency_key",
                "fingerprint",
                "recipient_hash",
                "recipient_masked",
                "municipality",
                "topic",
                "created_at",
                "status",
                "message_id",
            }
        ),
    ),
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, (create, columns) in TABLES.items():
        if name not in existing:
            create()
            continue
        found = {column["name"] for column in inspector.get_columns(name)}
        if found != columns:
            raise RuntimeError(
                f"table {name} is not the one Muni made before migrations (columns {sorted(found ^ columns)} differ); "
                "upgrade it by hand or start from an empty database"
            )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
