"""`muni admin …`: the first user (there is no default password), password resets, the inactivity job."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TextIO

from admin.audit import AuditLog
from admin.inactivity import expire_inactive
from admin.passwords import PasswordRejected
from admin.roles import Role
from admin.sessions import SessionStore
from admin.users import UserError, UserStore, check_municipality
from conversation.schema import upgrade_database
from muni.clock import Clock, utc_now
from muni.db import database_url_from_env, open_engine
from muni.env import SettingsError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("admin", help="the staff console's users")
    admin = parser.add_subparsers(dest="admin_command", required=True)
    create = admin.add_parser("create-user", help="create a console user (the password is read from stdin)")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--municipality", help="the municipality's slug (municipality admins and content editors)")
    create.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    create.set_defaults(handler=lambda args: _run(create_user, args))
    reset = admin.add_parser("reset-password", help="set a new password (read from stdin); ends the user's sessions")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    reset.set_defaults(handler=lambda args: _run(reset_password, args))
    expire = admin.add_parser("expire-inactive", help="warn users idle 335 days; deactivate and remove them at 365")
    expire.set_defaults(handler=lambda args: _run(expire_users, args))


Command = Callable[[argparse.Namespace, str, TextIO, Clock], Coroutine[Any, Any, int]]


def _run(command: Command, args: argparse.Namespace) -> int:
    try:
        url = database_url_from_env(os.environ)
    except SettingsError as error:
        print(f"muni admin: {error}", file=sys.stderr)
        return 2
    return asyncio.run(command(args, url, sys.stdin, utc_now))


def _password(stdin: TextIO) -> str:
    """The first line of stdin, without its line end (spaces inside are the user's)."""
    return stdin.readline().rstrip("\r\n")


def _municipalities() -> frozenset[str]:
    from conversation.directory import load_directory  # the tenant files, read only where needed

    return frozenset(load_directory().municipalities)


async def create_user(
    args: argparse.Namespace, url: str, stdin: TextIO, now: Clock, known: Callable[[], frozenset[str]] = _municipalities
) -> int:
    role = Role(args.role)
    try:
        municipality = check_municipality(role, args.municipality, known())
    except UserError as error:
        print(f"muni admin: {error}", file=sys.stderr)
        return 2
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        at = now()
        user = await UserStore(engine).create(args.username, role, municipality, _password(stdin), at)
        await AuditLog(engine).record(
            "user.created",
            at,
            client="cli",
            municipality=municipality,
            target_user_id=user.id,
            after={"username": user.username, "role": role.value, "municipality": municipality, "active": True},
        )
    except (UserError, PasswordRejected) as error:
        print(f"muni admin: {error}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    second = " At first login they set up two-factor authentication." if role.needs_second_factor else ""
    print(f"Created {role.value} {user.username}{f' for {municipality}' if municipality else ''}.{second}")
    return 0


async def reset_password(args: argparse.Namespace, url: str, stdin: TextIO, now: Clock) -> int:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        users = UserStore(engine)
        user = await users.by_name(args.username)
        if user is None:
            print(f"muni admin: no user {args.username!r}", file=sys.stderr)
            return 1
        at = now()
        await users.set_password(user.id, _password(stdin))
        ended = await SessionStore(engine).revoke_user(user.id, at)
        await AuditLog(engine).record(
            "user.password_reset", at, client="cli", municipality=user.municipality, target_user_id=user.id, sessions_ended=ended
        )
    except (UserError, PasswordRejected) as error:
        print(f"muni admin: {error}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(f"New password set for {args.username}; {ended} session(s) ended.")
    return 0


async def expire_users(args: argparse.Namespace, url: str, stdin: TextIO, now: Clock) -> int:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        report = await expire_inactive(UserStore(engine), AuditLog(engine), now())
    finally:
        await engine.dispose()
    print(f"{len(report.warned)} user(s) warned, {len(report.removed)} deactivated with their personal data removed.")
    return 0
