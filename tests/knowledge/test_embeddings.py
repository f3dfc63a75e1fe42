"""The Embedder over the built multilingual-e5-small folder, and its settings."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from knowledge.embeddings import (
    DEFAULT_MODEL_DIR,
    EmbeddingError,
    EmbeddingSettings,
    SentenceTransformerEmbedder,
    aencode_passages,
    aencode_queries,
)

TEXTS = [
    "Hvad koster et pas?",
    "Genbrugspladsen har åbent alle dage fra 7 til 19.",
    "Du kan søge om hjemmehjælp hos kommunens visitation, der vurderer dit behov ved et besøg i dit hjem.",
]


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    assert (DEFAULT_MODEL_DIR / "modules.json").is_file(), f"{DEFAULT_MODEL_DIR} is missing: run make setup"
    return SentenceTransformerEmbedder(DEFAULT_MODEL_DIR, batch_size=2)


def test_vectors_are_unit_length_float32_rows(embedder):
    for vectors in (embedder.encode_queries(TEXTS), embedder.encode_passages(TEXTS)):
        assert vectors.dtype == np.float32
        assert vectors.shape == (len(TEXTS), embedder.dimension) == (3, 384)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.name == "multilingual-e5-small"


def test_the_query_and_passage_prompts_give_different_vectors(embedder):
    queries, passages = embedder.encode_queries(TEXTS), embedder.encode_passages(TEXTS)
    cosines = np.sum(queries * passages, axis=1)
    assert np.all(cosines < 0.999), cosines
    assert np.all(cosines > 0.8), cosines  # the same text, only the prompt differs


def test_a_batch_equals_its_texts_one_at_a_time(embedder):
    batched = embedder.encode_passages(TEXTS)  # batch_size 2: one full batch and one padded one
    singles = np.vstack([embedder.encode_passages([text]) for text in TEXTS])
    np.testing.assert_allclose(batched, singles, atol=1e-5)


def test_no_texts_give_an_empty_matrix(embedder):
    assert embedder.encode_queries([]).shape == (0, 384)


def test_one_string_is_refused_rather_than_split_into_characters(embedder):
    with pytest.raises(TypeError):
        embedder.encode_queries("Hvad koster et pas?")


def test_concurrent_first_use_loads_one_model():
    fresh = SentenceTransformerEmbedder(DEFAULT_MODEL_DIR)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: fresh.encode_queries(TEXTS[:1]), range(3)))
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], atol=1e-6)


async def test_async_helpers_give_the_same_vectors(embedder):
    # Not bit-identical: torch may split the work differently in another thread.
    np.testing.assert_allclose(await aencode_queries(embedder, TEXTS), embedder.encode_queries(TEXTS), atol=1e-6)
    np.testing.assert_allclose(await aencode_passages(embedder, TEXTS), embedder.encode_passages(TEXTS), atol=1e-6)


def test_a_missing_model_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(EmbeddingError, match="cannot load the embedding model .*nowhere"):
        SentenceTransformerEmbedder(tmp_path / "nowhere").encode_queries(["Hej"])


def test_settings_default_to_the_folder_make_setup_builds():
    assert EmbeddingSettings.from_env({}) == EmbeddingSettings(model=str(DEFAULT_MODEL_DIR), batch_size=32)


def test_an_unbuilt_default_folder_says_to_run_make_setup(tmp_path: Path):
    with pytest.raises(EmbeddingError, match="MUNI_EMBEDDING_MODEL is not set .* run make setup"):
        EmbeddingSettings.from_env({}, default_model=tmp_path / "multilingual-e5-small")


def test_settings_read_the_environment(tmp_path: Path):
    settings = EmbeddingSettings.from_env(
        {"MUNI_EMBEDDING_MODEL": str(tmp_path), "MUNI_EMBEDDING_BATCH": "8", "MUNI_EMBEDDING_THREADS": "1"}
    )
    assert settings == EmbeddingSettings(model=str(tmp_path), batch_size=8, threads=1)
    assert EmbeddingSettings.from_env({"MUNI_EMBEDDING_MODEL": str(tmp_path)}).threads is None


@pytest.mark.parametrize("value", ["0", "two"])
def test_a_bad_thread_count_names_the_variable(tmp_path: Path, value: str):
    with pytest.raises(EmbeddingError, match="MUNI_EMBEDDING_THREADS"):
        EmbeddingSettings.from_env({"MUNI_EMBEDDING_MODEL": str(tmp_path), "MUNI_EMBEDDING_THREADS": value})


@pytest.mark.parametrize("value", ["0", "-1", "many", "2.5"])
def test_a_bad_batch_size_names_the_variable(value):
    with pytest.raises(EmbeddingError, match="MUNI_EMBEDDING_BATCH"):
        EmbeddingSettings.from_env({"MUNI_EMBEDDING_BATCH": value})


def test_importing_the_module_loads_no_torch():
    code = "import sys, knowledge.embeddings; sys.exit('torch' in sys.modules or 'sentence_transformers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0
