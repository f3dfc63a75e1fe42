"""The daily aggregates: counts only, no text, so they outlive the conversations retention deletes."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, MetaData, String, Table

metadata = MetaData()

SCORES = range(1, 10)  # the contact centre's 1-9 scale
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

# One row per Danish day, municipality, channel and topic ("" for none). Conversations count on the
# day they began; SMS links on the day they were sent; ratings on the day they were given.
stats_daily = Table(
    "stats_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("municipality", String(64), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("topic", String(64), primary_key=True),
    *(Column(name, Integer, nullable=False, server_default="0") for name in COUNTERS),
)

# The same counters without the topic: one row per Danish day, municipality and channel. The
# consortium's page and exports and the municipality's page read a year from here (about 27 times 5
# rows a day) rather than summing stats_daily's topics; stored beside stats_daily in one transaction.
stats_channel_daily = Table(
    "stats_channel_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("municipality", String(64), primary_key=True),
    Column("channel", String(16), primary_key=True),
    *(Column(name, Integer, nullable=False, server_default="0") for name in COUNTERS),
    Index("ix_stats_channel_daily_municipality_day", "municipality", "day"),
)

VOICE_COUNTERS = (
    "calls",
    "chose_assistant",
    "chose_agent",
    "transferred",
    "hung_up_in_menu",
    "in_hours",
    "outside_hours",
    "agent_waits",  # transfers whose wait from the choice of an agent is known
    "agent_wait_s_sum",
    "agent_wait_within_60s",
)

# One row per Danish day and municipality: the phone line, counted on the day the call began.
stats_voice_daily = Table(
    "stats_voice_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("municipality", String(64), primary_key=True),
    *(Column(name, Integer, nullable=False, server_default="0") for name in VOICE_COUNTERS),
)

# The days already aggregated: never computed again, so what retention deletes later changes nothing.
stats_days = Table(
    "stats_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("aggregated_at", DateTime(timezone=True), nullable=False),
)
