"""Local mode: the assistant keeps answering while another process re-indexes into a new generation."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from knowledge.index.connection import LiveIndex, open_local, snapshot_index, writable_index
from knowledge.index.errors import IndexUnavailable
from knowledge.index.generations import CURRENT, Generations
from knowledge.index.indexer import Indexer
from knowledge.index.retriever import Retriever
from knowledge.index.settings import IndexSettings
from tests.knowledge.index.conftest import HashingEmbedder, make_page

ROOT = Path(__file__).resolve().parents[3]


def index_once(settings: IndexSettings, embedder: HashingEmbedder, url: str, text: str) -> None:
    with writable_index(settings) as index:
        Indexer(index, embedder).index_pages("odder", [make_page("odder", url, "Side", text)], [])


def test_each_run_publishes_a_new_generation_and_keeps_the_last_two(
    settings: IndexSettings, embedder: HashingEmbedder
) -> None:
    for n in range(4):
        index_once(settings, embedder, f"https://odder.dk/{n}", f"Side nummer {n} om affald.")
    generations = Generations(settings.index_dir)
    assert [p.name for p in generations.all()] == ["g-000003", "g-000004"]
    assert (settings.index_dir / CURRENT).read_text().strip() == "g-000004"
    with snapshot_index(settings) as index:
        assert index.count("odder") == 4  # each run started from a copy of the one before


def test_a_failed_run_publishes_nothing(settings: IndexSettings, embedder: HashingEmbedder) -> None:
    index_once(settings, embedder, "https://odder.dk/a", "Affald hentes om mandagen.")
    with pytest.raises(RuntimeError), writable_index(settings):
        raise RuntimeError("crawl store broke")
    assert [p.name for p in Generations(settings.index_dir).all()] == ["g-000001"]


def test_a_generation_a_reader_holds_is_not_removed(settings: IndexSettings, embedder: HashingEmbedder) -> None:
    index_once(settings, embedder, "https://odder.dk/a", "Affald hentes om mandagen.")
    reader = open_local(settings.index_dir / "g-000001", settings.collection)
    try:
        for n in range(3):
            index_once(settings, embedder, f"https://odder.dk/{n}", "Mere om affald.")
        names = [p.name for p in Generations(settings.index_dir).all()]
        assert names == ["g-000001", "g-000003", "g-000004"]
    finally:
        reader.close()
    assert Generations(settings.index_dir).prune() == [settings.index_dir / "g-000001"]


def test_search_while_the_assistant_holds_the_generation_uses_a_private_copy(
    settings: IndexSettings, embedder: HashingEmbedder
) -> None:
    index_once(settings, embedder, "https://odder.dk/a", "Affald hentes om mandagen.")
    live = LiveIndex(settings)
    with live.use():
        with pytest.raises(IndexUnavailable):
            open_local(settings.index_dir / "g-000001", settings.collection)
        with snapshot_index(settings) as copy:
            assert copy.count("odder") == 1
    live.close()


def test_no_index_yet_is_index_unavailable(settings: IndexSettings, embedder: HashingEmbedder) -> None:
    retriever = Retriever(LiveIndex(settings), embedder, settings)
    with pytest.raises(IndexUnavailable):
        retriever.search("odder", "affald")


def test_the_reader_keeps_answering_while_another_process_reindexes_then_sees_the_new_data(
    settings: IndexSettings, embedder: HashingEmbedder
) -> None:
    index_once(settings, embedder, "https://odder.dk/affald", "Storskrald hentes efter aftale.")
    live = LiveIndex(settings)
    retriever = Retriever(live, embedder, settings)
    assert retriever.search("odder", "storskrald")[0].url == "https://odder.dk/affald"
    answered, errors = [], []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                answered.append(retriever.search("odder", "storskrald")[0].url)
            except Exception as error:
                errors.append(error)
            time.sleep(0.01)

    reader = threading.Thread(target=keep_searching)
    reader.start()
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [sys.executable, "-m", "tests.knowledge.index.index_run", str(settings.index_dir),
             "https://odder.dk/svoemmehal", "Svømmehallen har åbent alle dage."],
            cwd=ROOT, env=env, check=True, timeout=120,
        )
        during = len(answered)
        time.sleep(0.2)
    finally:
        stop.set()
        reader.join()
    assert not errors and during > 10
    # The new generation opens in the background while searches go on in the old one.
    deadline = time.monotonic() + 30
    while retriever.search("odder", "svømmehal")[0].url != "https://odder.dk/svoemmehal":
        assert time.monotonic() < deadline, "the reader never switched to the new generation"
        time.sleep(0.05)
    assert live.path is not None and live.path.name == "g-000002"
    live.close()


def test_a_second_reader_of_a_held_generation_reads_a_private_copy(
    settings: IndexSettings, embedder: HashingEmbedder
) -> None:
    index_once(settings, embedder, "https://odder.dk/a", "Affald hentes om mandagen.")
    first, second = LiveIndex(settings), LiveIndex(settings)
    try:
        with first.use() as held:
            assert held.count("odder") == 1
        with second.use() as index:  # `make eval` beside `make run`: the folder is locked by `first`
            assert index.count("odder") == 1
        assert second.path == settings.index_dir / "g-000001"
        copy = second._copy
        assert copy is not None and copy.is_dir() and copy != second.path
    finally:
        first.close()
        second.close()
    assert not copy.exists()  # the private copy goes with its reader


def test_no_index_means_unavailable_before_any_model_work(settings: IndexSettings) -> None:
    class Untouchable:
        def encode_queries(self, texts: object) -> object:
            raise AssertionError("the model was used although there is no index")

    class UntouchableLemmas:
        def lemmas(self, text: str) -> list[str]:
            raise AssertionError("the lemma table was used although there is no index")

    retriever = Retriever(LiveIndex(settings), Untouchable(), settings, lemmatizer=UntouchableLemmas())  # type: ignore[arg-type]
    with pytest.raises(IndexUnavailable, match="run `muni index` first"):
        retriever.search("odder", "hvornår hentes affaldet")
