"""Calibrate the safety screen's embedding check on bench/data/safety_calibration.yml.

For every (threshold, margin) on a grid, count the calibration emergencies the embedding
check flags and the ordinary messages it flags; keep the pair with no false alarm and the
most emergencies, with a cushion on both: the threshold lies above every ordinary message whose
margin comes within the margin's cushion. Writes safety/calibration.yml (with `--write`); never
looks at the evaluation set.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from bench.safety_eval import load_cases
from muni.privacy import redact
from safety.embedding import CALIBRATION_PATH, Calibration, EmbeddingCheck
from safety.screen import load_screen

CALIBRATION_SET = Path(__file__).with_name("data") / "safety_calibration.yml"
# Cushions above the highest ordinary message's score and below the margin: for paraphrases the set
# lacks, and for ONNX Runtime's int8 kernels, which differ by CPU (on two machines the same model file
# gave "my flat is damp and the baby is coughing" a margin of 0.047 and one under 0.045).
CUSHION = 0.005
MARGIN_CUSHION = 0.01


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {CALIBRATION_PATH}")
    args = parser.parse_args(argv)
    screen = load_screen()
    check = screen.embedding
    assert isinstance(check, EmbeddingCheck)
    cases = load_cases(CALIBRATION_SET)
    nearest = [(case, check.nearest(redact(case.text))) for case in cases]
    positives = np.array([(n.score, n.score - n.ordinary) for c, n in nearest if c.emergency])
    negatives = np.array([(n.score, n.score - n.ordinary) for c, n in nearest if not c.emergency])
    best: tuple[int, float, float] | None = None
    for margin in np.arange(0.0, 0.08, 0.005):
        allowed = negatives[negatives[:, 1] >= margin - MARGIN_CUSHION]
        if len(allowed):
            threshold = float(allowed[:, 0].max()) + CUSHION
        else:  # the margin alone separates them: the threshold is what the caught emergencies reach
            reaching = positives[positives[:, 1] >= margin]
            threshold = float(reaching[:, 0].min()) - CUSHION if len(reaching) else 1.0
        caught = int(((positives[:, 0] >= threshold) & (positives[:, 1] >= margin)).sum())
        if best is None or caught > best[0]:
            best = (caught, float(threshold), float(margin))
    assert best is not None
    caught, threshold, margin = best
    print(
        f"embedding check on {len(positives)} emergencies and {len(negatives)} ordinary messages: "
        f"threshold {threshold:.3f}, margin {margin:.3f}: {caught}/{len(positives)} emergencies, 0 false alarms"
    )
    for case, found in nearest:
        flagged = Calibration(threshold, margin)
        hit = found.score >= flagged.threshold and found.score - found.ordinary >= flagged.margin
        if case.emergency and not hit:
            margin_found = found.score - found.ordinary
            print(f"  not by embedding: [{case.lang}] {case.text} (score {found.score:.3f}, margin {margin_found:.3f})")
    if args.write:
        CALIBRATION_PATH.write_text(
            "# Written by python -m bench.safety_calibrate on bench/data/safety_calibration.yml; do not edit by hand.\n"
            f"threshold: {threshold:.4f}\nmargin: {margin:.4f}\n"
            f"# calibration: {caught}/{len(positives)} emergencies, 0/{len(negatives)} false alarms\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
