"""Crisis mode's tables in the gateway's one database (made by conversation/migrations, revision 0005_crisis)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()

# One row per municipality while a crisis is set (it may start later or have expired); off deletes it.
crises = Table(
    "crises",
    metadata,
    Column("municipality", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("message_da", Text, nullable=False),
    Column("message_en", Text, nullable=True),
    Column("link", String(500), nullable=True),
    Column("phone", String(32), nullable=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("set_by", String(96), nullable=False),  # "user:<name>", "cli", "api-key:<label>"
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# Every change, append-only: what the crisis was after it ("on", "changed") or that it ended ("off").
crisis_history = Table(
    "crisis_history",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(96), nullable=False),
    Column("details", Text, nullable=False),  # JSON: the crisis after the change
)
