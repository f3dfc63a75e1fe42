"""`muni` – the staff's command line: console users; crawling, indexing and searching the websites' knowledge,
and the console's suggested values from them;
backing up and restoring the database and the index; crisis mode; operators' keys."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from muni import env
from muni.env import SettingsError
from muni.keys import rasa_token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="muni", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    # Each feature registers its own commands; imports stay inside so `muni --help` is fast.
    from admin.cli import register as register_admin
    from admin.crisis_cli import register as register_crisis
    from admin.suggest_cli import register as register_suggest
    from crawler.cli import register as register_crawl
    from crawler.sources import CrawlStores
    from knowledge.index.cli import register as register_index
    from ops.backup.cli import register as register_backup
    from ops.retention import register as register_retention

    register_admin(commands)
    register_crisis(commands)
    register_crawl(commands)
    register_index(commands, websites=CrawlStores)  # `muni index` reads what `muni crawl` stored
    register_suggest(commands, websites=CrawlStores)  # `muni suggest` reads the same stores
    register_backup(commands)
    register_retention(commands)  # `muni retention run`, `muni erase`
    token = commands.add_parser(
        "rasa-token",
        help="print the token Rasa's HTTP API requires (derived from MUNI_SECRET_KEY)",
        description="For `rasa run --auth-token` where Rasa runs apart from `make run`, and for `?token=` in calls "
        "to Rasa's HTTP API (/status, /model, /conversations/...).",
    )
    token.set_defaults(handler=_print_rasa_token)
    stats = commands.add_parser("stats", help="statistics for the staff console (issue 14)")
    stats_commands = stats.add_subparsers(dest="stats_command", required=True)
    stats_commands.add_parser(
        "unanswered",
        help="group the new unanswered questions by similarity for the console's work list (run it hourly)",
    ).set_defaults(handler=_group_unanswered)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return int(args.handler(args) or 0)
    except SettingsError as error:  # a missing or bad variable: one line that names it, no traceback
        print(f"muni: {error}", file=sys.stderr)
        return 2


def _group_unanswered(args: argparse.Namespace) -> int:
    import asyncio

    from ops.unanswered import run_grouping

    added = asyncio.run(run_grouping(os.environ))
    print(f"{added} nye ubesvarede spørgsmål er sat i grupper.")
    return 0


def _print_rasa_token(args: argparse.Namespace) -> int:
    print(rasa_token(env.secret_key(os.environ)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
