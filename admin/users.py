"""The console's users: create, find, change, deactivate; second factor and recovery codes."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.passwords import check_policy, hash_password, verify_password
from admin.roles import Role, User
from admin.tables import recovery_codes, sessions, users
from muni.clock import from_db, to_utc

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]")
RECOVERY_CODES = 10
REMOVED_PREFIX = "slettet-"


class UserError(ValueError):
    """A user cannot be made or changed as asked; the message says why, in Danish."""


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username) or username.startswith(REMOVED_PREFIX):
        raise UserError("Brugernavnet skal være 3-64 tegn: små bogstaver a-z, tal, punktum, bindestreg eller understreg.")
    return username


def check_municipality(role: Role, municipality: str | None, known: frozenset[str]) -> str | None:
    """The user's municipality: required for municipality staff, none for consortium admins and agents."""
    if not role.needs_municipality:
        if municipality:
            raise UserError(f"Rollen {role.label.lower()} hører ikke til én kommune.")
        return None
    if not municipality:
        raise UserError(f"Rollen {role.label.lower()} skal have en kommune.")
    if municipality not in known:
        raise UserError(f"Kommunen {municipality!r} findes ikke.")
    return municipality


class UserStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, username: str, role: Role, municipality: str | None, password: str, at: datetime) -> User:
        """A new active user; UserError when the name is taken or invalid, PasswordRejected for a weak password."""
        check_username(username)
        check_policy(password, username)
        values = {
            "username": username,
            "role": role.value,
            "municipality": municipality,
            "password_hash": hash_password(password),
            "active": True,
            "created_at": to_utc(at),
        }
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(users.insert().values(**values))
        except IntegrityError:
            raise UserError(f"Brugernavnet {username!r} er optaget.") from None
        user_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        found = None if user_id is None else await self.get(int(user_id))
        if found is None:
            raise RuntimeError("a user just created is missing")
        return found

    async def get(self, user_id: int) -> User | None:
        return await self._one(users.c.id == user_id)

    async def by_name(self, username: str) -> User | None:
        return await self._one(users.c.username == username)

    async def listing(self, municipality: str | None = None) -> list[User]:
        """Every user (None) or one municipality's, by name; removed users are left out."""
        query = select(users).where(users.c.personal_data_removed_at.is_(None)).order_by(users.c.username)
        if municipality is not None:
            query = query.where(users.c.municipality == municipality)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_user(row._mapping) for row in rows]

    async def check_password(self, username: str, password: str) -> User | None:
        """The active user with this name and password, or None; the same work whether the name exists or not."""
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(users).where(users.c.username == username))).first()
        stored = None if row is None else row._mapping["password_hash"]
        ok = verify_password(stored, password)
        if row is None or not ok or not row._mapping["active"]:
            return None
        return _user(row._mapping)

    async def set_password(self, user_id: int, password: str) -> None:
        user = await self.get(user_id)
        if user is None:
            raise UserError("Brugeren findes ikke.")
        check_policy(password, user.username)
        await self._update(user_id, password_hash=hash_password(password))

    async def record_login(self, user_id: int, at: datetime) -> None:
        await self._update(user_id, last_login_at=to_utc(at), inactivity_warned_at=None)

    async def set_role(self, user_id: int, role: Role, municipality: str | None) -> None:
        await self._update(user_id, role=role.value, municipality=municipality)

    async def deactivate(self, user_id: int, at: datetime) -> None:
        await self._update(user_id, active=False, deactivated_at=to_utc(at))

    async def mark_warned(self, user_id: int, at: datetime) -> None:
        await self._update(user_id, inactivity_warned_at=to_utc(at))

    async def remove_personal_data(self, user_id: int, at: datetime) -> None:
        """Deactivate and keep nothing that names the person: the name, password, second factor, codes."""
        async with self._engine.begin() as connection:
            await connection.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(
                    username=f"{REMOVED_PREFIX}{user_id}",
                    password_hash=None,
                    totp_secret=None,
                    active=False,
                    deactivated_at=func.coalesce(users.c.deactivated_at, to_utc(at)),
                    personal_data_removed_at=to_utc(at),
                )
            )
            await connection.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
            await connection.execute(
                update(sessions)
                .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
                .values(revoked_at=to_utc(at))
            )

    async def totp_secret(self, user_id: int) -> str | None:
        async with self._engine.connect() as connection:
            query = select(users.c.totp_secret).where(users.c.id == user_id)
            secret: str | None = (await connection.execute(query)).scalar_one_or_none()
        return secret

    async def enable_second_factor(self, user_id: int, secret: str) -> list[str]:
        """Store the TOTP secret and make new recovery codes; the codes are shown once and kept hashed."""
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
        async with self._engine.begin() as connection:
            await connection.execute(update(users).where(users.c.id == user_id).values(totp_secret=secret))
            await connection.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
            await connection.execute(
                recovery_codes.insert(), [{"user_id": user_id, "code_hash": hash_password(code)} for code in codes]
            )
        return codes

    async def check_second_factor(self, user_id: int, code: str, at: datetime) -> bool:
        """A current TOTP code, or an unused recovery code (used up by this)."""
        code = code.strip().replace(" ", "").lower()
        secret = await self.totp_secret(user_id)
        if secret is None or not code:
            return False
        if code.isdigit() and len(code) == 6:
            return pyotp.TOTP(secret).verify(code, for_time=at, valid_window=1)
        async with self._engine.begin() as connection:
            rows = (
                await connection.execute(
                    select(recovery_codes).where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
                )
            ).all()
            for row in rows:
                if verify_password(row._mapping["code_hash"], code):
                    await connection.execute(
                        update(recovery_codes).where(recovery_codes.c.id == row._mapping["id"]).values(used_at=to_utc(at))
                    )
                    return True
        return False

    async def _one(self, where: Any) -> User | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(users).where(where))).first()
        return None if row is None else _user(row._mapping)

    async def _update(self, user_id: int, **values: Any) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(update(users).where(users.c.id == user_id).values(**values))


def _user(row: Any) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        role=Role(row["role"]),
        municipality=row["municipality"],
        active=row["active"],
        has_second_factor=row["totp_secret"] is not None,
        created_at=from_db(row["created_at"]),
        last_login_at=None if row["last_login_at"] is None else from_db(row["last_login_at"]),
        inactivity_warned_at=None if row["inactivity_warned_at"] is None else from_db(row["inactivity_warned_at"]),
    )
