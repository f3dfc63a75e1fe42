"""`muni crisis on|off|status` and `muni crisis key issue|revoke|list`: crisis mode from the command line.

The command line is the operators' (who hold the database); every change is audited with
the client "cli".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, TextIO

from admin.api_keys import CRISIS_SCOPE, ApiKeyStore
from admin.audit import AuditLog
from admin.crisis_desk import CrisisDesk
from conversation.schema import upgrade_database
from crisis.model import DANISH_TIME, SCHEDULED, Crisis, CrisisError, make_crisis, parse_duration, parse_start
from crisis.store import CrisisStore
from muni.clock import Clock, utc_now
from muni.db import database_url_from_env, open_engine
from muni.env import SettingsError

Known = Callable[[], frozenset[str]]


def _municipalities() -> frozenset[str]:
    from conversation.directory import load_directory  # the tenant files, read only where needed

    return frozenset(load_directory().municipalities)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("crisis", help="crisis mode (beredskab): a crisis message on every channel")
    crisis = parser.add_subparsers(dest="crisis_command", required=True)
    on = crisis.add_parser("on", help="turn a crisis on (or change it) for one municipality or all")
    _where(on)
    on.add_argument("--title", required=True)
    on.add_argument("--message", required=True, help="in Danish")
    on.add_argument("--message-en", help="in English (optional)")
    on.add_argument("--link", help="the municipality's crisis page")
    on.add_argument("--phone", help="the crisis hotline")
    on.add_argument(
        "--starts",
        help="start later: a time like 2026-12-07T08:00 (Danish time unless it names a zone) or 2h from now (default: now)",
    )
    on.add_argument(
        "--expires", default="24h", help="how long it stays on from its start: 90m, 12h, 3d (default 24h, at most 14d)"
    )
    on.set_defaults(handler=lambda args: _run(crisis_on, args))
    off = crisis.add_parser("off", help="turn a crisis off")
    _where(off)
    off.set_defaults(handler=lambda args: _run(crisis_off, args))
    status = crisis.add_parser("status", help="the crises now set")
    status.set_defaults(handler=lambda args: _run(crisis_status, args))
    keys = crisis.add_parser("key", help="staff API keys for PUT/DELETE /api/v1/crisis/{slug}")
    key = keys.add_subparsers(dest="key_command", required=True)
    issue = key.add_parser("issue", help="issue a key (printed once; only its hash is kept)")
    issue.add_argument("--label", required=True, help="whose emergency system uses it")
    issue.set_defaults(handler=lambda args: _run(key_issue, args))
    revoke = key.add_parser("revoke", help="revoke a key by its number")
    revoke.add_argument("key_id", type=int)
    revoke.set_defaults(handler=lambda args: _run(key_revoke, args))
    listing = key.add_parser("list", help="the keys, live and revoked")
    listing.set_defaults(handler=lambda args: _run(key_list, args))


def _where(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--municipality", help="the municipality's slug")
    group.add_argument("--all", action="store_true", help="every member municipality")


Command = Callable[[argparse.Namespace, str, TextIO, Clock], Coroutine[Any, Any, int]]


def _run(command: Command, args: argparse.Namespace) -> int:
    try:
        url = database_url_from_env(os.environ)
    except SettingsError as error:
        print(f"muni crisis: {error}", file=sys.stderr)
        return 2
    return asyncio.run(command(args, url, sys.stdout, utc_now))


def _targets(args: argparse.Namespace, known: frozenset[str]) -> list[str]:
    if args.all:
        return sorted(known)
    if args.municipality not in known:
        raise CrisisError(f"Kommunen {args.municipality!r} findes ikke.")
    return [args.municipality]


async def crisis_on(args: argparse.Namespace, url: str, out: TextIO, now: Clock, known: Known = _municipalities) -> int:
    at = now()
    try:
        targets = _targets(args, known())
        starts_text = getattr(args, "starts", None)
        starts = None if not starts_text else parse_start(starts_text, at)
        expires = (starts or at) + parse_duration(args.expires)
        crises = [
            make_crisis(
                municipality=slug,
                title=args.title,
                message_da=args.message,
                message_en=args.message_en,
                link=args.link,
                phone=args.phone,
                starts_at=starts,
                expires_at=expires,
                set_by="cli",
                now=at,
            )
            for slug in targets
        ]
    except CrisisError as error:
        print(f"muni crisis: {error}", file=sys.stderr)
        return 2
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        desk = CrisisDesk(CrisisStore(engine), AuditLog(engine))
        for crisis in crises:
            await desk.switch_on(crisis, actor_id=None, client="cli")
    finally:
        await engine.dispose()
    first = crises[0]
    when = f"starter {_danish(first.starts_at)} og " if first.state_at(at) == SCHEDULED else ""
    print(f"Krisetilstand slået til for {', '.join(targets)}: {when}udløber {_danish(first.expires_at)}.", file=out)
    return 0


def _danish(moment: datetime) -> str:
    return f"{moment.astimezone(DANISH_TIME):%Y-%m-%d %H:%M} dansk tid"


def _state(crisis: Crisis, at: datetime) -> str:
    state = crisis.state_at(at)
    if state == SCHEDULED:
        return f"planlagt – starter {_danish(crisis.starts_at)}"
    return "aktiv" if state == "active" else "udløbet"


async def crisis_off(args: argparse.Namespace, url: str, out: TextIO, now: Clock, known: Known = _municipalities) -> int:
    try:
        targets = _targets(args, known())
    except CrisisError as error:
        print(f"muni crisis: {error}", file=sys.stderr)
        return 2
    engine = open_engine(url)
    ended = []
    try:
        await upgrade_database(engine)
        desk = CrisisDesk(CrisisStore(engine), AuditLog(engine))
        for slug in targets:
            change = await desk.switch_off(slug, now(), actor="cli", actor_id=None, client="cli")
            if change.before is not None:
                ended.append(slug)
    finally:
        await engine.dispose()
    print(f"Krisetilstand slået fra for {', '.join(ended)}." if ended else "Ingen krise var slået til.", file=out)
    return 0


async def crisis_status(args: argparse.Namespace, url: str, out: TextIO, now: Clock) -> int:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        crises = await CrisisStore(engine).all()
    finally:
        await engine.dispose()
    at = now()
    if not crises:
        print("Ingen krise er slået til.", file=out)
    for slug, crisis in sorted(crises.items()):
        left = max(crisis.expires_at - at, timedelta(0))
        print(
            f"{slug}: {_state(crisis, at)} – {crisis.title} (udløber {_danish(crisis.expires_at)}, om {left};"
            f" sat af {crisis.set_by})",
            file=out,
        )
    return 0


async def key_issue(args: argparse.Namespace, url: str, out: TextIO, now: Clock) -> int:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        at = now()
        key, secret = await ApiKeyStore(engine).issue(args.label, CRISIS_SCOPE, at, created_by=None)
        await AuditLog(engine).record("api_key.issued", at, client="cli", key_id=key.id, label=key.label, scope=key.scope)
    finally:
        await engine.dispose()
    print(f"Nøgle {key.id} ({key.label}), vises kun denne ene gang:\n{secret}", file=out)
    return 0


async def key_revoke(args: argparse.Namespace, url: str, out: TextIO, now: Clock) -> int:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        at = now()
        key = await ApiKeyStore(engine).revoke(args.key_id, at)
        if key is None:
            print(f"muni crisis: ingen nøgle nummer {args.key_id}", file=sys.stderr)
            return 1
        await AuditLog(engine).record("api_key.revoked", at, client="cli", key_id=key.id, label=key.label)
    finally:
        await engine.dispose()
    print(f"Nøgle {key.id} ({key.label}) er tilbagekaldt.", file=out)
    return 0


async def key_list(args: argparse.Namespace, url: str, out: TextIO, now: Clock) -> int:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        keys = await ApiKeyStore(engine).all()
    finally:
        await engine.dispose()
    for key in keys:
        state = "aktiv" if key.revoked_at is None else f"tilbagekaldt {key.revoked_at:%Y-%m-%d}"
        print(f"{key.id}\t{key.label}\t{key.scope}\t{state}", file=out)
    return 0
