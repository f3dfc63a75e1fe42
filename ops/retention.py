"""`muni retention run [--dry-run]` and `muni erase --conversation ID | --phone NUMBER`, audited like the console."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from typing import TextIO

from admin.audit import AuditLog
from admin.retention import RetentionSettings
from conversation.schema import upgrade_database
from gateway.retention import DataStores, Receipt, erase, run_retention
from muni import env
from muni.clock import Clock, utc_now
from muni.db import database_url_from_env, open_engine
from muni.keys import KeyPurpose, derive_key
from muni.phones import normalise
from sms.sender import mask_number


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retention = commands.add_parser("retention", help="delete what is older than its retention period")
    which = retention.add_subparsers(dest="retention_command", required=True)
    run = which.add_parser("run", help="run the retention job now (the gateway runs it daily)")
    run.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    run.set_defaults(handler=lambda args: _main(args, os.environ, sys.stdout, utc_now))
    erase_ = commands.add_parser("erase", help="erase everything linked to a conversation or a phone number")
    target = erase_.add_mutually_exclusive_group(required=True)
    target.add_argument("--conversation", help="the conversation's id")
    target.add_argument("--phone", help="the citizen's phone number (matched through its keyed hash)")
    erase_.set_defaults(handler=lambda args: _main(args, os.environ, sys.stdout, utc_now))


def _main(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, clock: Clock) -> int:
    try:
        url = database_url_from_env(environ)
        key = derive_key(env.secret_key(environ), KeyPurpose.PHONE_HASH)
    except env.SettingsError as error:
        print(f"muni: {error}", file=sys.stderr)
        return 2
    if getattr(args, "phone", None) is not None and normalise(args.phone) is None:
        print(f"muni erase: {args.phone!r} er ikke et telefonnummer", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, url, key, environ, out, clock))


async def _run(args: argparse.Namespace, url: str, key: bytes, environ: Mapping[str, str], out: TextIO, clock: Clock) -> int:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        stores = DataStores.from_env(engine, key, environ)
        log = AuditLog(engine)
        now = clock()
        if args.command == "retention":
            periods = await RetentionSettings(engine).periods()
            receipt = await run_retention(stores, periods, now, dry_run=args.dry_run)
            if not args.dry_run:
                await log.record("retention.run", now, client="muni retention run", deleted=receipt)
            _print(out, "Ville slette" if args.dry_run else "Slettet", receipt)
            return 0
        receipt = await erase(stores, conversation_id=args.conversation, phone=args.phone)
        target = {"conversation": args.conversation} if args.conversation else {"phone": mask_number(args.phone)}
        await log.record("data.erased", now, client="muni erase", deleted=receipt, **target)
        _print(out, "Kvittering – slettet", receipt)
        return 0
    finally:
        await engine.dispose()


def _print(out: TextIO, heading: str, receipt: Receipt) -> None:
    print(f"{heading}:", file=out)
    for store, count in receipt.items():
        print(f"  {store}: {count}", file=out)
