"""Switching crisis mode on and off, from the console, the command line and the API alike: store, then audit.

Every change is one row in the crisis history and one entry in the console's audit log (with
before and after); of two changes at once the later wins, and both are in both logs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from admin.audit import AuditLog
from crisis.model import Crisis
from crisis.store import Change, CrisisBoard, CrisisStore


def _snapshot(crisis: Crisis | None) -> dict[str, Any] | None:
    return None if crisis is None else crisis.snapshot()


class CrisisDesk:
    def __init__(self, store: CrisisStore, audit: AuditLog, board: CrisisBoard | None = None) -> None:
        self._store = store
        self._audit = audit
        self._board = board  # this replica's board, told to read again at once

    async def switch_on(self, crisis: Crisis, *, actor_id: int | None, client: str | None) -> Change:
        change = await self._store.set(crisis)
        action = "crisis.changed" if change.before is not None else "crisis.on"
        await self._audit.record(
            action,
            crisis.set_at,
            actor_id=actor_id,
            client=client,
            municipality=crisis.municipality,
            before=_snapshot(change.before),
            after=_snapshot(change.after),
            via=crisis.set_by,
        )
        self._forget()
        return change

    async def switch_off(
        self, municipality: str, at: datetime, *, actor: str, actor_id: int | None, client: str | None
    ) -> Change:
        change = await self._store.clear(municipality, actor, at)
        if change.before is not None:
            await self._audit.record(
                "crisis.off",
                at,
                actor_id=actor_id,
                client=client,
                municipality=municipality,
                before=_snapshot(change.before),
                after={},
                via=actor,
            )
        self._forget()
        return change

    async def status(self) -> dict[str, Crisis]:
        return await self._store.all()

    def _forget(self) -> None:
        if self._board is not None:
            self._board.forget()
