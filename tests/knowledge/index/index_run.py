"""An index run in its own process, as `muni index` would be.

`python -m tests.knowledge.index.index_run DIR URL TEXT`
"""

from __future__ import annotations

import sys
from pathlib import Path

from knowledge.index.connection import writable_index
from knowledge.index.indexer import Indexer
from knowledge.index.lexical import danish_lemmatizer
from knowledge.index.settings import IndexSettings
from tests.knowledge.index.conftest import HashingEmbedder, make_page


def main(index_dir: str, url: str, text: str) -> int:
    settings = IndexSettings(index_dir=Path(index_dir), crawl_dir=Path(index_dir) / "no-crawl")
    with writable_index(settings) as index:
        indexer = Indexer(index, HashingEmbedder(danish_lemmatizer()))
        indexer.index_pages("odder", [make_page("odder", url, "Side", text)], [])
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
