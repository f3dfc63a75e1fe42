"""Rasa's SQL tracker store, with the trackers it has just saved kept in memory for the next turn.

Rasa's `SQLTrackerStore` rebuilds a conversation's tracker from the database at the start of every
turn (an ORM query of every event since the session started, `json.loads` of each, and a replay of
them all into a new tracker) and counts those events again before it saves the new ones: together
some 28 % of the CPU a chat turn cost Rasa (`make bench-load` prints the CPU a turn costs each
process). The tracker Rasa saves at the end of a turn is the one it needs at the start of the next.

`CachedSQLTrackerStore` keeps that tracker, with the database's highest event id for the
conversation at the time, and hands it out again only while that id is still the highest: one
indexed `max(id)` query instead of the rebuild. Whatever else wrote to the conversation (another
Rasa replica, Rasa's HTTP API, retention deleting it) changes the highest id, and the tracker is
rebuilt from the database as before. So is a tracker that was changed and not saved (a turn that
failed half-way), and one that holds more than one conversation session (the database's answer
holds only the latest). The database stays the truth: every event is written before `save` returns.

On SQLite (`make run`'s tracker store) it also keeps its connections open and writes the database
in WAL mode with `synchronous=NORMAL`: Rasa's store opens a new connection for every query and
commits in rollback-journal mode, syncing the disk several times a turn, on Rasa's one event loop
thread. WAL with NORMAL loses nothing when a process dies (`kill -9`); only a power cut may lose
the last turns' events, and the gateway's conversation log keeps the turns themselves.

bot/rasa_main.py installs it as Rasa's SQL tracker store (`type: SQL` in endpoints.yml); it runs in
Rasa's environment (Python 3.10) and imports nothing of Muni's.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker

# Conversations whose tracker is kept (least recently used go first). A conversation lasts minutes;
# a few hundred cover every conversation in flight at the contact centre's busiest hour.
CACHED_CONVERSATIONS = 512


@dataclass
class _Saved:
    tracker: DialogueStateTracker
    events: int  # len(tracker.events) when it matched the database
    last_id: int | None  # the conversation's highest event id in the database then (None: it had none)


class CachedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that hands out the tracker it saved last while the database has nothing newer."""

    def __init__(self, *args: Any, cached_conversations: int = CACHED_CONVERSATIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self._keep_sqlite_connections()
        self._saved: OrderedDict[str, _Saved] = OrderedDict()
        self._size = max(0, int(cached_conversations))
        # Built once and run on a plain connection: through an ORM session it cost as much as a rebuild.
        self._last_id_query = sa.select(sa.func.max(self.SQLEvent.id)).where(
            self.SQLEvent.sender_id == sa.bindparam("sender_id")
        )

    def _keep_sqlite_connections(self) -> None:
        """A pool of open connections in WAL mode instead of a new connection (and disk syncs) per query."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=8, connect_args={"check_same_thread": False}
        )
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        saved = self._saved.get(sender_id)
        if saved is not None:
            with self.engine.connect() as connection:
                last_id = self._last_id(connection, sender_id)
            if last_id is not None and last_id == saved.last_id and len(saved.tracker.events) == saved.events:
                self._saved.move_to_end(sender_id)
                return saved.tracker
            del self._saved[sender_id]  # something else wrote, or the turn failed after changing it
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the tracker's new events, as Rasa's store does, and keep the tracker for the next turn."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        saved = self._saved.pop(sender_id, None)
        with self.session_scope() as session:
            connection = session.connection()
            stored: int | None = None
            if saved is not None and saved.tracker is tracker and self._last_id(connection, sender_id) == saved.last_id:
                stored = saved.events
            events = list(tracker.events)[stored:] if stored is not None else list(self._additional_events(session, tracker))
            if events:
                connection.execute(self.SQLEvent.__table__.insert(), [self._row(sender_id, event) for event in events])
            last_id = self._last_id(connection, sender_id)
            session.commit()
        # A new conversation's empty tracker is kept too (last id None), so that its first turn's save
        # need not count events; `retrieve` hands out only trackers with events in the database.
        if self._size and _one_session(tracker) and (tracker.events or last_id is None):
            self._saved[sender_id] = _Saved(tracker, len(tracker.events), last_id)
            while len(self._saved) > self._size:
                self._saved.popitem(last=False)

    def _last_id(self, connection: Any, sender_id: str) -> int | None:
        last_id = connection.execute(self._last_id_query, {"sender_id": sender_id}).scalar()
        return None if last_id is None else int(last_id)

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        """The row Rasa's own `save` writes for the event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # The pragmas of muni/db.py's `_tune_sqlite`, plus synchronous=NORMAL; written again here because
    # this module runs in Rasa's environment and imports nothing of Muni's.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _one_session(tracker: DialogueStateTracker) -> bool:
    """Whether the tracker holds at most one session, as one rebuilt from the database does."""
    return sum(isinstance(event, SessionStarted) for event in tracker.events) <= 1
