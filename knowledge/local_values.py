"""Local values a municipality published in the console: written by `admin/`, read by `actions/`.

The store lives in the gateway's database (tables made by revision 0005_content). Every
publish bumps one `content_version` number in the same transaction, so an action server
polls one small row and reloads the values only when the number moved; each replica of the
action server does that on its own, and a publish reaches all of them within one poll.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from knowledge.kinds import Scalar
from muni.clock import from_db, to_utc

logger = logging.getLogger("muni.knowledge.local_values")

metadata = MetaData()

local_values = Table(
    "local_values",
    metadata,
    Column("municipality", String(64), primary_key=True),
    Column("variable", String(64), primary_key=True),
    Column("value", Text, nullable=False),  # JSON: a number (money) or a text, in normal form
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Integer, nullable=True),  # the console user's id
)

local_value_changes = Table(
    "local_value_changes",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("variable", String(64), nullable=False),
    Column("before", Text, nullable=True),  # JSON; None: no published value (the file's value applied)
    Column("after", Text, nullable=True),  # JSON; None: the published value was removed
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("reverts", Integer, nullable=True),  # the change this one undid
)

local_guides = Table(
    "local_guides",
    metadata,
    Column("municipality", String(64), primary_key=True),
    Column("topic", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("lines", Text, nullable=False),  # JSON: the guide's lines, with {variable} placeholders
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Integer, nullable=True),
)

content_version = Table(
    "content_version",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("version", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Change:
    id: int
    municipality: str
    variable: str
    before: Scalar | None
    after: Scalar | None
    at: datetime
    actor_id: int | None
    reverts: int | None


def _dump(value: Scalar | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _load(text: str | None) -> Scalar | None:
    if text is None:
        return None
    value = json.loads(text)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"not a local value: {text!r}")
    return value


class LocalValueStore:
    """Published values and their history; every write is one transaction that bumps the version."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def version(self) -> int:
        async with self._engine.connect() as connection:
            found = await connection.scalar(select(content_version.c.version).where(content_version.c.id == 1))
        return int(found or 0)

    async def published(self, municipality: str | None = None) -> dict[str, dict[str, Scalar]]:
        """slug -> variable -> value; one municipality's, or every municipality's for None."""
        query = select(local_values.c.municipality, local_values.c.variable, local_values.c.value)
        if municipality is not None:
            query = query.where(local_values.c.municipality == municipality)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        found: dict[str, dict[str, Scalar]] = {}
        for slug, name, text in rows:
            value = _load(text)
            if value is not None:
                found.setdefault(slug, {})[name] = value
        return found

    async def publish(
        self,
        municipality: str,
        variable: str,
        value: Scalar | None,
        at: datetime,
        *,
        actor_id: int | None,
        reverts: int | None = None,
    ) -> Change | None:
        """Set (or for None remove) one value; the change, or None when nothing changed."""
        async with self._engine.begin() as connection:
            key = (local_values.c.municipality == municipality) & (local_values.c.variable == variable)
            before = _load(await connection.scalar(select(local_values.c.value).where(key)))
            if before == value and type(before) is type(value):
                return None
            if value is None:
                await connection.execute(local_values.delete().where(key))
            else:
                await connection.execute(upsert_statement(connection, municipality, variable, value, at, actor_id))
            result = await connection.execute(
                local_value_changes.insert().values(
                    municipality=municipality,
                    variable=variable,
                    before=_dump(before),
                    after=_dump(value),
                    at=to_utc(at),
                    actor_id=actor_id,
                    reverts=reverts,
                )
            )
            await _bump(connection)
            (change_id,) = result.inserted_primary_key or (0,)
        return Change(int(change_id), municipality, variable, before, value, at, actor_id, reverts)

    async def history(self, municipality: str, *, limit: int = 100) -> list[Change]:
        """Newest first."""
        query = (
            select(local_value_changes)
            .where(local_value_changes.c.municipality == municipality)
            .order_by(local_value_changes.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_change(row._mapping) for row in rows]

    async def change(self, change_id: int) -> Change | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(local_value_changes).where(local_value_changes.c.id == change_id))).first()
        return None if row is None else _change(row._mapping)

    async def guides(self, municipality: str | None = None) -> dict[str, dict[str, tuple[str, list[str]]]]:
        """slug -> topic -> (title, lines) of the guides municipalities wrote in the console."""
        query = select(local_guides.c.municipality, local_guides.c.topic, local_guides.c.title, local_guides.c.lines)
        if municipality is not None:
            query = query.where(local_guides.c.municipality == municipality)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        found: dict[str, dict[str, tuple[str, list[str]]]] = {}
        for slug, topic, title, lines in rows:
            found.setdefault(slug, {})[topic] = (title, [str(line) for line in json.loads(lines)])
        return found

    async def publish_guide(
        self, municipality: str, topic: str, guide: tuple[str, list[str]] | None, at: datetime, *, actor_id: int | None
    ) -> tuple[str, list[str]] | None:
        """Set (or for None remove) a municipality's own guide for a topic; the guide it replaced."""
        key = (local_guides.c.municipality == municipality) & (local_guides.c.topic == topic)
        async with self._engine.begin() as connection:
            row = (await connection.execute(select(local_guides.c.title, local_guides.c.lines).where(key))).first()
            await connection.execute(local_guides.delete().where(key))
            if guide is not None:
                await connection.execute(
                    local_guides.insert().values(
                        municipality=municipality,
                        topic=topic,
                        title=guide[0],
                        lines=json.dumps(guide[1], ensure_ascii=False),
                        updated_at=to_utc(at),
                        updated_by=actor_id,
                    )
                )
            await _bump(connection)
        return None if row is None else (row[0], [str(line) for line in json.loads(row[1])])

    async def revert(self, change: Change, at: datetime, *, actor_id: int | None) -> Change | None:
        """Put back what the value was before `change` (a new change in the history, pointing at it)."""
        return await self.publish(change.municipality, change.variable, change.before, at, actor_id=actor_id, reverts=change.id)


def upsert_statement(
    connection: AsyncConnection, municipality: str, variable: str, value: Scalar, at: datetime, actor_id: int | None
) -> Any:
    """INSERT … ON CONFLICT DO UPDATE for one value, in the connection's dialect."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    row = {"value": _dump(value), "updated_at": to_utc(at), "updated_by": actor_id}
    statement = dialect.insert(local_values).values(municipality=municipality, variable=variable, **row)
    return statement.on_conflict_do_update(index_elements=["municipality", "variable"], set_=row)


async def _bump(connection: AsyncConnection) -> None:
    moved = await connection.execute(
        update(content_version).where(content_version.c.id == 1).values(version=content_version.c.version + 1)
    )
    if not moved.rowcount:
        await connection.execute(content_version.insert().values(id=1, version=1))


def _change(row: RowMapping) -> Change:
    at = row["at"]
    assert isinstance(at, datetime)
    return Change(
        id=int(str(row["id"])),
        municipality=str(row["municipality"]),
        variable=str(row["variable"]),
        before=_load(row["before"] if isinstance(row["before"], str) else None),
        after=_load(row["after"] if isinstance(row["after"], str) else None),
        at=from_db(at),
        actor_id=row["actor_id"] if isinstance(row["actor_id"], int) else None,
        reverts=row["reverts"] if isinstance(row["reverts"], int) else None,
    )


__all__ = ["Change", "LocalValueStore", "metadata"]
