"""`muni` – the staff's command line: console users; crawling, indexing and searching the websites' knowledge;
backing up and restoring the database and the index."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="muni", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    # Each feature registers its own commands; imports stay inside so `muni --help` is fast.
    from admin.cli import register as register_admin
    from crawler.cli import register as register_crawl
    from crawler.sources import CrawlStores
    from knowledge.index.cli import register as register_index
    from ops.backup.cli import register as register_backup

    register_admin(commands)
    register_crawl(commands)
    register_index(commands, websites=CrawlStores)  # `muni index` reads what `muni crawl` stored
    register_backup(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
