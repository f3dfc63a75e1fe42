"""A one-line progress bar on a terminal: pages fetched, queue, errors, rate."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO

from crawler.results import Outcome


class Progress:
    """Counts outcomes; redraws one line on stderr when it is a terminal (and never otherwise)."""

    def __init__(self, *, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._started = time.monotonic()
        self._outcomes: Counter[Outcome] = Counter()
        self._drawn = False

    def count(self, outcome: Outcome) -> None:
        self._outcomes[outcome] += 1

    def show(self, *, fetched: int, queued: int) -> None:
        if not self._enabled:
            return
        elapsed = max(time.monotonic() - self._started, 1e-6)
        line = (
            f"\rpages {fetched}  stored {self._outcomes[Outcome.STORED]}  queue {queued}"
            f"  errors {self._outcomes[Outcome.ERROR]}  {fetched / elapsed:.1f} pages/s"
        )
        self._stream.write(line.ljust(79))
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False
