"""Danish lemmas and BM25-style weights for the lexical half of hybrid search."""

from __future__ import annotations

import zlib

from knowledge.index.lexical import Lemmatizer, passage_terms, query_terms, term_id


def test_lemmas_are_lower_case_lookup_lemmas_without_stop_words_or_punctuation(lemmatizer: Lemmatizer) -> None:
    lemmas = lemmatizer.lemmas("Hvordan fornyer jeg mit Kørekort? Åbningstiderne står på siden.")
    assert "forny" in lemmas and "kørekort" in lemmas and "åbningstid" in lemmas
    assert not {"jeg", "mit", "?", ".", "på"} & set(lemmas)


def test_inflected_forms_share_a_lemma(lemmatizer: Lemmatizer) -> None:
    assert lemmatizer.lemmas("affaldet") == lemmatizer.lemmas("affald")
    assert lemmatizer.lemmas("passet") == lemmatizer.lemmas("pas")


def test_term_ids_are_stable_across_processes() -> None:
    assert term_id("pas") == zlib.crc32(b"pas")


def test_passage_weights_saturate_with_repetition_and_are_sorted_by_term_id() -> None:
    once = passage_terms(["pas", "pris"])
    often = passage_terms(["pas"] * 10 + ["pris"])
    assert once.indices == sorted(once.indices)
    weight = dict(zip(often.indices, often.values, strict=True))
    assert 1.0 < weight[term_id("pas")] < 2.2  # k1 + 1 bounds a BM25 term weight


def test_query_terms_weigh_one_each_and_repeat_once() -> None:
    terms = query_terms(["pas", "pas", "pris"])
    assert len(terms.indices) == 2 and terms.values == [1.0, 1.0]
