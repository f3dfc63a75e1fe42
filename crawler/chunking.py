"""A page's sections cut into passages that fit an embedding model and read well when quoted.

Chunks follow the headings (a chunk never spans two sections) and the sentences
(a chunk ends at a sentence end; only a sentence longer than a chunk is cut, at a
word). Consecutive chunks of one section share a sentence so that a question
answered across a boundary still finds its context. Pure: no I/O.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Iterator
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING

from crawler.extract import Extracted
from knowledge.index.records import Chunk

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MAX_CHUNK_CHARS = 800


# Tokens that swallow a full stop yet often end a Danish sentence ("koster 718 kr. Du skal ...").
_SENTENCE_ENDING_ABBREVIATIONS = frozenset({"kr.", "mv.", "m.m.", "osv.", "etc.", "mm."})


@functools.cache
def sentencizer() -> Language:
    """spaCy's Danish tokenizer with the rule-based sentencizer (no Danish model is on PyPI)."""
    spacy = _import_spacy_without_torch()
    nlp: Language = spacy.blank("da")
    nlp.add_pipe("sentencizer")
    spacy.language.Language.component("muni_danish_sentence_ends", func=_danish_sentence_ends)
    nlp.add_pipe("muni_danish_sentence_ends", after="sentencizer")
    return nlp


def _import_spacy_without_torch() -> ModuleType:
    """spaCy, kept from importing torch where nothing in the process has yet.

    spaCy's thinc imports torch whenever it is installed (it is, for the embedding
    model): about 250 MB of RSS and a second of start-up in every extraction worker,
    for a tokenizer and a sentencizer that never use it. torch is hidden for the
    import only; a later `import torch` in the same process works as usual.
    """
    if "torch" in sys.modules or "spacy" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` now fails; thinc goes without
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def _danish_sentence_ends(doc: Doc) -> Doc:
    """Starts a sentence after "kr." or an ordinal-looking "10." when a capital follows.

    spaCy's Danish tokenizer keeps the full stop on such tokens, so the sentencizer
    sees no full stop there.
    """
    for previous, token in zip(doc, doc[1:], strict=False):
        ends = previous.text.lower() in _SENTENCE_ENDING_ABBREVIATIONS or (
            previous.text.endswith(".") and previous.text[:-1].isdigit()
        )
        if ends and token.text[:1].isupper():
            token.is_sent_start = True
    return doc


def chunk_page(
    extracted: Extracted,
    *,
    municipality: str,
    url: str,
    crawled_at: datetime,
    max_chars: int = MAX_CHUNK_CHARS,
) -> list[Chunk]:
    """The page's chunks in reading order, `position` counting from 0 across the page."""
    texts = [
        (section.heading_path, text)
        for section in extracted.sections
        for text in chunk_text(section.text, max_chars=max_chars)
    ]
    return [
        Chunk(
            municipality=municipality,
            url=url,
            title=extracted.title,
            heading_path=heading_path,
            text=text,
            position=position,
            crawled_at=crawled_at,
            content_hash=text_hash(text),
        )
        for position, (heading_path, text) in enumerate(texts)
    ]


def chunk_text(text: str, *, max_chars: int = MAX_CHUNK_CHARS) -> list[str]:
    """One section's text as chunks of at most `max_chars`, one sentence of overlap between neighbours.

    Paragraphs are the section's lines; they stay on lines of their own in a chunk.
    """
    text = text.strip()
    if not text:
        return []
    if len(text) <= max_chars:
        # The whole section is one chunk: no sentence splitting needed (the tokenizer is
        # most of the cost of chunking a page).
        return [text]
    units = list(_units(text, max_chars))
    chunks: list[str] = []
    start = 0
    while start < len(units):
        end = start + 1
        size = len(units[start][1])
        while end < len(units) and size + 1 + len(units[end][1]) <= max_chars:
            size += 1 + len(units[end][1])
            end += 1
        chunks.append(_join(units[start:end]))
        if end == len(units):
            break
        # The next chunk repeats this one's last sentence where it fits with the sentence after it.
        overlap = end - 1
        fits = len(units[overlap][1]) + 1 + len(units[end][1]) <= max_chars
        start = overlap if fits and overlap > start else end
    return chunks


def page_hash(extracted: Extracted) -> str:
    """sha256 hex of the page's title and text: unchanged means nothing to re-index."""
    return text_hash(f"{extracted.title}\n{extracted.text}")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _units(text: str, max_chars: int) -> Iterator[tuple[bool, str]]:
    """Sentences (cut at words where one is longer than `max_chars`), each flagged if it opens a paragraph."""
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    for paragraph in sentencizer().pipe(paragraphs):
        for index, sentence in enumerate(paragraph.sents):
            for piece_index, piece in enumerate(_cut(sentence.text.strip(), max_chars)):
                yield index == 0 and piece_index == 0, piece


def _cut(sentence: str, max_chars: int) -> Iterator[str]:
    """A sentence in pieces of at most `max_chars`, cut between words (inside a word only if it alone is longer)."""
    if len(sentence) <= max_chars:
        yield sentence
        return
    piece = ""
    for word in sentence.split():
        while len(word) > max_chars:
            if piece:
                yield piece
                piece = ""
            yield word[:max_chars]
            word = word[max_chars:]
        if not piece:
            piece = word
        elif len(piece) + 1 + len(word) <= max_chars:
            piece = f"{piece} {word}"
        else:
            yield piece
            piece = word
    if piece:
        yield piece


def _join(units: list[tuple[bool, str]]) -> str:
    parts = [units[0][1]]
    for opens_paragraph, sentence in units[1:]:
        parts.append(("\n" if opens_paragraph else " ") + sentence)
    return "".join(parts)
