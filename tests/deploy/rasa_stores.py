"""Run with Rasa's Python: open the tracker and lock stores an endpoints file names, and use them.

``python tests/deploy/rasa_stores.py ENDPOINTS_FILE`` prints the store classes and the number of
events read back; the variables the file names come from the environment, as in the pod.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config


async def main(path: str) -> None:
    store = TrackerStore.create(read_endpoint_config(path, "tracker_store"), Domain.empty())
    locks = LockStore.create(read_endpoint_config(path, "lock_store"))
    sender = f"deploy-test-{uuid.uuid4().hex[:8]}"
    async with locks.lock(sender, lock_lifetime=5, wait_time_in_seconds=0.1):
        await store.save(DialogueStateTracker.from_events(sender, [UserUttered("hej")]))
    tracker = await store.retrieve(sender)
    user_turns = [event for event in tracker.events if isinstance(event, UserUttered)] if tracker else []
    print(type(store).__name__, type(locks).__name__, len(user_turns))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
