"""`muni index`, `muni search` and the retrieval evaluation, on a real (one-municipality) index."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench import eval_retrieval
from knowledge.index.cli import register
from knowledge.index.records import StoredPage
from tests.knowledge.index.conftest import make_page
from tests.support.ports import free_port


@dataclass
class Website:
    """A crawled website in memory: a PageSource."""

    pages: list[StoredPage]
    gone: list[str] = field(default_factory=list)

    def live_pages(self) -> Iterator[StoredPage]:
        return iter(self.pages)

    def gone_urls(self) -> list[str]:
        return list(self.gone)


@dataclass
class Websites:
    """PageSources in memory, whatever the crawl folder; records the folder asked for and what it closed."""

    sites: dict[str, Website] = field(default_factory=dict)
    asked: list[Path] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def __call__(self, crawl_dir: Path) -> Websites:
        self.asked.append(crawl_dir)
        return self

    def municipalities(self) -> list[str]:
        return sorted(self.sites)

    @contextmanager
    def open(self, municipality: str) -> Iterator[Website]:
        try:
            yield self.sites[municipality]
        finally:
            self.closed.append(municipality)


def muni(*argv: str, websites: Websites | None = None) -> int:
    parser = argparse.ArgumentParser(prog="muni")
    register(parser.add_subparsers(dest="command", required=True), websites=Websites() if websites is None else websites)
    args = parser.parse_args(list(argv))
    return int(args.handler(args) or 0)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUNI_INDEX_DIR", str(root / "index"))
        patch.setenv("MUNI_CRAWL_DIR", str(root / "crawl"))
        patch.delenv("MUNI_QDRANT_URL", raising=False)
        assert muni("index", "--municipality", "samsoe") == 0
        yield root / "index"


@pytest.fixture
def env(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MUNI_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("MUNI_CRAWL_DIR", str(index_dir.parent / "crawl"))
    monkeypatch.delenv("MUNI_QDRANT_URL", raising=False)
    return index_dir


def test_index_publishes_a_generation_and_a_second_run_embeds_nothing(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (env / "CURRENT").read_text().strip() == "g-000001"
    assert muni("index", "--municipality", "samsoe") == 0
    out = capsys.readouterr().out
    assert "samsoe guides: pages new 0, changed 0" in out and "chunks embedded 0" in out
    assert (env / "CURRENT").read_text().strip() == "g-000002"


def test_index_reads_the_crawled_websites_it_is_given_and_closes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MUNI_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("MUNI_CRAWL_DIR", str(tmp_path / "crawl"))
    monkeypatch.delenv("MUNI_QDRANT_URL", raising=False)
    pool = make_page("samsoe", "https://samsoe.dk/svoemmehal", "Svømmehal", "Svømmehallen har åbent hver dag kl. 6-21.")
    websites = Websites({"samsoe": Website([pool])})

    assert muni("index", "--municipality", "samsoe", websites=websites) == 0
    assert "samsoe web: pages new 1, changed 0, unchanged 0, gone 0; chunks embedded 1;" in capsys.readouterr().out
    assert websites.asked == [tmp_path / "crawl"] and websites.closed == ["samsoe"]

    websites.sites["samsoe"] = Website([], gone=[pool.url])
    assert muni("index", "--municipality", "samsoe", websites=websites) == 0
    out = capsys.readouterr().out
    assert "samsoe guides: pages new 0, changed 0" in out
    assert "samsoe web: pages new 0, changed 0, unchanged 0, gone 1; chunks embedded 0;" in out


def test_search_prints_the_hits_scores_and_the_verdict(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert muni("search", "samsoe", "Hvad koster et nyt kørekort?", "--limit", "3") == 0
    out = capsys.readouterr().out
    assert out.startswith("1. [guide] topic=driving_licence fused=")
    assert "dense=" in out and "lexical=" in out and "Kørekort – guide:driving_licence" in out
    assert out.count("\n1. ") + out.count("\n2. ") + out.count("\n3. ") == 2
    assert "answers from hit 1" in out


def test_search_of_an_out_of_scope_question_says_fallback(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert muni("search", "samsoe", "Hvem vandt fodboldkampen i går?") == 0
    assert "below the threshold: fallback" in capsys.readouterr().out


def test_search_without_an_index_fails_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MUNI_INDEX_DIR", str(tmp_path / "none"))
    monkeypatch.delenv("MUNI_QDRANT_URL", raising=False)
    assert muni("search", "samsoe", "pas") == 1
    assert "run `muni index` first" in capsys.readouterr().err


def test_bad_settings_are_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MUNI_INDEX_THRESHOLD", "high")
    assert muni("search", "samsoe", "pas") == 1
    assert "MUNI_INDEX_THRESHOLD" in capsys.readouterr().err


def test_eval_retrieval_prints_hit_rates(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "questions.yml"
    questions.write_text(
        "questions:\n"
        "  - {municipality: samsoe, topic: passport, text: 'Hvad koster et pas?'}\n"
        "  - {municipality: samsoe, topic: moving, text: 'Hvordan melder jeg flytning?'}\n"
        "  - {municipality: samsoe, topic: greeting, text: 'Hej'}\n"
        "  - {municipality: samsoe, topic: out_of_scope, text: 'Hvad er hovedstaden i Australien?'}\n"
        "  - {municipality: samsoe, out_of_scope: true, text: 'Hvordan laver man en god risotto?'}\n",
        encoding="utf-8",
    )
    assert eval_retrieval.main([str(questions)]) == 0
    out = capsys.readouterr().out
    assert "in-scope questions searched: 2 (skipped 1" in out
    assert "top-3 topic hit rate: 2/2 = 100.0%" in out
    assert "out-of-scope clearing the threshold: 0/2" in out


def test_index_and_search_against_a_server_that_is_down_fail_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nothing listens on it
    monkeypatch.setenv("MUNI_QDRANT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MUNI_QDRANT_TIMEOUT", "2")
    monkeypatch.setenv("MUNI_CRAWL_DIR", str(tmp_path / "crawl"))
    assert muni("index", "--municipality", "samsoe") == 1
    assert f"muni index: writing to the Qdrant server at http://127.0.0.1:{port} failed" in capsys.readouterr().err
    assert muni("search", "samsoe", "pas") == 1
    assert "muni search: search failed: " in capsys.readouterr().err


def test_the_package_settings_and_errors_load_no_qdrant_client() -> None:
    """knowledge.index is light on purpose: qdrant-client takes over a second to import."""
    code = "import sys, knowledge.index, knowledge.index.cli; sys.exit('qdrant_client' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0
