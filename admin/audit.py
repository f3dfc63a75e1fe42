"""The audit log: append-only; who (a user id), when, from where, what, and before/after of a change.

Never a citizen's data, and no name typed at a failed login (it may be a password typed in
the wrong field): an unknown name is logged as unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from admin.tables import audit, users
from muni.clock import from_db, to_utc

PAGE = 200


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str | None  # the user's name now ("slettet-<id>" once removed), None for the system
    client: str | None
    action: str
    municipality: str | None
    target: str | None
    details: dict[str, Any]


class AuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(
        self,
        action: str,
        at: datetime,
        *,
        actor_id: int | None = None,
        client: str | None = None,
        municipality: str | None = None,
        target_user_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        **details: Any,
    ) -> None:
        payload = {
            **details,
            **({"before": before} if before is not None else {}),
            **({"after": after} if after is not None else {}),
        }
        async with self._engine.begin() as connection:
            await connection.execute(
                audit.insert().values(
                    at=to_utc(at),
                    actor_id=actor_id,
                    client=None if client is None else client[:64],
                    action=action,
                    municipality=municipality,
                    target_user_id=target_user_id,
                    details=json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str),
                )
            )

    async def entries(self, municipality: str | None, *, limit: int = PAGE) -> list[AuditEntry]:
        """Newest first; one municipality's entries, or every entry when `municipality` is None."""
        actor, target = aliased(users), aliased(users)
        query = (
            select(audit, actor.c.username.label("actor_name"), target.c.username.label("target_name"))
            .outerjoin(actor, actor.c.id == audit.c.actor_id)
            .outerjoin(target, target.c.id == audit.c.target_user_id)
            .order_by(audit.c.id.desc())
            .limit(limit)
        )
        if municipality is not None:
            query = query.where(audit.c.municipality == municipality)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            AuditEntry(
                at=from_db(row["at"]),
                actor=row["actor_name"],
                client=row["client"],
                action=row["action"],
                municipality=row["municipality"],
                target=row["target_name"],
                details=json.loads(row["details"]),
            )
            for row in (r._mapping for r in rows)
        ]
