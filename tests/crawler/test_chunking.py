from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from crawler.chunking import MAX_CHUNK_CHARS, chunk_page, chunk_text, page_hash, text_hash
from crawler.extract import Extracted, Section, extract
from tests.crawler.pages import municipal_page

URL = "https://www.roskilde.dk/borger/affald"
CRAWLED_AT = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def sentences(count: int, topic: str = "affald") -> list[str]:
    return [f"Sætning {n} fortæller borgeren noget nyt om {topic} i kommunen, fx åbningstider kl. 10." for n in range(count)]


def make_page(*sections: tuple[tuple[str, ...], str], title: str = "Affald og genbrug") -> Extracted:
    return Extracted(
        title=title,
        text="\n".join(text for _, text in sections),
        sections=tuple(Section(heading_path=path, text=text) for path, text in sections),
    )


def chunks_of(extracted: Extracted) -> list:
    return chunk_page(extracted, municipality="roskilde", url=URL, crawled_at=CRAWLED_AT)


def test_a_real_page_gives_one_chunk_per_short_section() -> None:
    extracted = extract(municipal_page(), URL)
    assert extracted is not None

    chunks = chunks_of(extracted)

    assert [chunk.heading_path for chunk in chunks] == [section.heading_path for section in extracted.sections]
    assert [chunk.position for chunk in chunks] == [0, 1, 2, 3]
    assert {(chunk.municipality, chunk.url, chunk.title, chunk.crawled_at) for chunk in chunks} == {
        ("roskilde", URL, "Affald og genbrug", CRAWLED_AT)
    }
    assert "Haveaffald | 650 kr." in chunks[3].text


def test_long_sections_are_cut_at_sentence_ends_with_one_sentence_of_overlap() -> None:
    said = sentences(30)
    chunks = chunk_text(" ".join(said))

    assert len(chunks) > 3
    assert all(len(chunk) <= MAX_CHUNK_CHARS for chunk in chunks)
    for chunk in chunks:
        assert chunk.startswith("Sætning ") and chunk.endswith("kl. 10.")
    for before, after in zip(chunks, chunks[1:], strict=False):
        last_sentence = next(sentence for sentence in reversed(said) if sentence in before)
        assert before.endswith(last_sentence)
        assert after.startswith(last_sentence)
        assert after.count(last_sentence) == 1
    assert chunks[-1].endswith(said[-1])
    assert sum(chunk.count("Sætning ") for chunk in chunks) == len(said) + len(chunks) - 1


def test_abbreviations_do_not_end_a_sentence() -> None:
    text = " ".join(["Ring til Borgerservice på tlf. 46 31 30 00 mellem kl. 10 og 15, bl.a. om pas og kørekort."] * 20)

    assert all(chunk.startswith("Ring til Borgerservice") for chunk in chunk_text(text))


def test_chunks_never_span_two_sections() -> None:
    page = make_page(
        (("Affald og genbrug", "Storskrald"), " ".join(sentences(20, "storskrald"))),
        (("Affald og genbrug", "Haveaffald"), " ".join(sentences(20, "haveaffald"))),
    )

    chunks = chunks_of(page)

    for chunk in chunks:
        topic = "storskrald" if chunk.heading_path[-1] == "Storskrald" else "haveaffald"
        assert chunk.text.count(f"om {topic}") == chunk.text.count("Sætning ")
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))
    assert {chunk.heading_path[-1] for chunk in chunks} == {"Storskrald", "Haveaffald"}


def test_an_overlong_sentence_is_cut_between_words() -> None:
    words = [f"ord{n}" for n in range(400)]
    long_sentence = " ".join(words) + "."

    chunks = chunk_text(long_sentence + " Kort sætning bagefter.")

    assert all(len(chunk) <= MAX_CHUNK_CHARS for chunk in chunks)
    assert " ".join(chunks).split()[: len(words)] == long_sentence.split()
    assert chunks[-1].endswith("Kort sætning bagefter.")


def test_a_word_longer_than_a_chunk_is_cut_inside() -> None:
    chunks = chunk_text("Se " + "x" * 2000 + " for detaljer.", max_chars=800)

    assert all(len(chunk) <= 800 for chunk in chunks)
    assert "".join(chunks).count("x") == 2000


def test_paragraphs_stay_on_lines_of_their_own() -> None:
    text = "\n".join([" ".join(sentences(4, "pas")), "Kort afsnit om kørekort.", " ".join(sentences(6, "flytning"))])

    first = chunk_text(text)[0]

    assert "i kommunen, fx åbningstider kl. 10.\nKort afsnit om kørekort.\nSætning 0" in first


def test_content_hash_is_the_sha256_of_the_text_and_stable() -> None:
    page = make_page((("Pas",), " ".join(sentences(25, "pas"))))

    first, second = chunks_of(page), chunks_of(page)

    assert [chunk.content_hash for chunk in first] == [chunk.content_hash for chunk in second]
    assert first[0].content_hash == text_hash(first[0].text)
    assert len(first[0].content_hash) == 64
    assert len({chunk.content_hash for chunk in first}) == len(first)


def test_page_hash_changes_with_the_text_or_title_only() -> None:
    page = make_page((("Pas",), "Et pas koster 718 kr."))

    assert page_hash(page) == page_hash(make_page((("Pas",), "Et pas koster 718 kr.")))
    assert page_hash(page) != page_hash(make_page((("Pas",), "Et pas koster 748 kr.")))
    assert page_hash(page) != page_hash(make_page((("Pas",), "Et pas koster 718 kr."), title="Pas og ID"))


def test_an_empty_section_gives_no_chunk() -> None:
    assert chunks_of(make_page((("Tom",), "   "))) == []


def test_prices_and_ordinals_can_end_a_sentence() -> None:
    text = " ".join(["Et voksenpas koster 718 kr. Borgerservice åbner kl. 10. Husk dit gamle pas."] * 12)

    chunks = chunk_text(text)

    assert len(chunks) > 1
    assert all(chunk.startswith("Et voksenpas") or chunk.startswith("Borgerservice") or chunk.startswith("Husk")
               for chunk in chunks)


def test_the_sentencizer_leaves_torch_unloaded_and_importable() -> None:
    script = (
        "import sys\n"
        "from crawler.chunking import chunk_text\n"
        "assert len(chunk_text('Et pas koster 718 kr. Du skal bestille tid. ' * 40)) > 1\n"
        "assert 'torch' not in sys.modules\n"
        "import torch\n"
        "print(torch.zeros(2).sum().item())\n"
    )

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.0"
