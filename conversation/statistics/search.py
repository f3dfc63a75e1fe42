"""Full-text search over the redacted turns: FTS5 in SQLite, a GIN tsvector index in PostgreSQL.

What staff type is always text: it is cut into words and each is quoted (FTS5) or handed to
plainto_tsquery (PostgreSQL), so FTS or SQL syntax in it is searched for, never obeyed.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Integer, column, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.log import conversations, turns

FTS_TABLE = "turns_fts"
PG_INDEX = "ix_turns_text_search"
PG_CONFIG = "simple"  # no stemming: redacted Danish and English alike, and names of places stay whole
# What the search adds that no store's Table declares (the migrations test leaves these out of its comparison).
SEARCH_OBJECTS = frozenset({FTS_TABLE, PG_INDEX}) | {f"{FTS_TABLE}_{s}" for s in ("data", "idx", "docsize", "config", "content")}
MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
# The FTS5 table (with triggers on turns) and the GIN index are made by revision 0005_stats.


def words(query: str) -> list[str]:
    """The words of what staff typed (at most MAX_WORDS); punctuation and operators fall away."""
    return _WORD.findall(query)[:MAX_WORDS]


def fts5_match(query: str) -> str | None:
    """An FTS5 MATCH string where every word is a quoted phrase (so AND, NOT, *, : are just words)."""
    found = words(query)
    return " ".join('"' + word.replace('"', '""') + '"' for word in found) or None


def matching_conversations(engine: AsyncEngine, query: str) -> ColumnElement[bool] | None:
    """A condition on conversations.id: some turn of the conversation contains every word; None for no words."""
    found = words(query)
    if not found:
        return None
    if engine.dialect.name == "postgresql":
        vector = func.to_tsvector(literal_column(f"'{PG_CONFIG}'"), turns.c.text)
        tsquery = func.plainto_tsquery(literal_column(f"'{PG_CONFIG}'"), " ".join(found))
        hits = select(turns.c.conversation_id).where(vector.op("@@")(tsquery))
    else:
        rowids = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match").bindparams(match=fts5_match(query))
        hits = select(turns.c.conversation_id).where(turns.c.id.in_(rowids.columns(column("rowid", Integer))))
    return conversations.c.id.in_(hits)
