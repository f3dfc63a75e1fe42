"""The index's settings, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from knowledge.index.errors import IndexSettingsError
from muni.paths import in_var

# Calibrated by `python -m knowledge.index.calibrate` (knowledge/index/calibration.yml: 42 in-scope and
# 22 out-of-scope questions over 20 municipalities' guides and citizen phrases, multilingual-e5-small).
# The top hit answers when its dense cosine clears DEFAULT_THRESHOLD and a question lemma matched it,
# or clears DEFAULT_THRESHOLD_DENSE_ONLY without one. Top-1 topic right for 42 of 42. At (0.865, 0.90):
# 39 of 42 answered with the right topic (precision 0.975, recall 0.929), none with a wrong one, 1 of 22
# out-of-scope answered (a passport in Sweden, 0.868). (0.855, 0.88) answers 40 but 2 out-of-scope
# (right − 2 × (wrong + out-of-scope answered): 36 against 37 for the default). Dense cosine alone needs 0.88 to
# answer no out-of-scope question, and then answers 26 of 42.
DEFAULT_THRESHOLD = 0.865
DEFAULT_THRESHOLD_DENSE_ONLY = 0.90
# A crawled chunk gets the topic of the nearest guide topic when its cosine clears this. Calibrated by
# `python -m knowledge.index.calibrate_topics` (topic_calibration.yml: 45 website passages on guide topics,
# 17 on none): at 0.89, 36 of 45 get their topic, 1 a wrong one, none of the 17 a topic. At 0.84 (the first
# guess) 15 of the 17 got one (a library page: bulky_waste); 0.87 labels 41 right but 3 wrong and 1 spurious.
DEFAULT_TOPIC_THRESHOLD = 0.89
DEFAULT_COLLECTION = "muni_knowledge"


@dataclass(frozen=True)
class IndexSettings:
    index_dir: Path  # local mode: generation folders and CURRENT
    crawl_dir: Path  # the crawler's stores, one SQLite file per municipality
    qdrant_url: str | None = None  # a Qdrant server instead of local mode
    qdrant_api_key: str | None = None
    collection: str = DEFAULT_COLLECTION
    threshold: float = DEFAULT_THRESHOLD  # dense cosine, with a lemma in common
    threshold_dense_only: float = DEFAULT_THRESHOLD_DENSE_ONLY  # dense cosine, no lemma in common
    topic_threshold: float = DEFAULT_TOPIC_THRESHOLD
    timeout_s: int = 10

    @property
    def local(self) -> bool:
        return self.qdrant_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IndexSettings:
        env = os.environ if environ is None else environ
        url = env.get("MUNI_QDRANT_URL") or None
        if url is not None and not url.startswith(("http://", "https://")):
            raise IndexSettingsError(f"MUNI_QDRANT_URL must start with http:// or https://, got {url!r}")
        key = env.get("MUNI_QDRANT_API_KEY") or None
        if key is not None and url is None:
            raise IndexSettingsError("MUNI_QDRANT_API_KEY is set but MUNI_QDRANT_URL is not")
        collection = env.get("MUNI_INDEX_COLLECTION", DEFAULT_COLLECTION)
        if not collection.replace("_", "").replace("-", "").isalnum():
            raise IndexSettingsError(f"MUNI_INDEX_COLLECTION: letters, digits, - and _ only, got {collection!r}")
        return cls(
            index_dir=in_var(env, "MUNI_INDEX_DIR", "index"),
            crawl_dir=in_var(env, "MUNI_CRAWL_DIR", "crawl"),
            qdrant_url=url,
            qdrant_api_key=key,
            collection=collection,
            threshold=_fraction(env, "MUNI_INDEX_THRESHOLD", DEFAULT_THRESHOLD),
            threshold_dense_only=_fraction(env, "MUNI_INDEX_THRESHOLD_DENSE_ONLY", DEFAULT_THRESHOLD_DENSE_ONLY),
            topic_threshold=_fraction(env, "MUNI_INDEX_TOPIC_THRESHOLD", DEFAULT_TOPIC_THRESHOLD),
            timeout_s=_positive_int(env, "MUNI_QDRANT_TIMEOUT", 10),
        )


def _fraction(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise IndexSettingsError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise IndexSettingsError(f"{name} must be between 0 and 1, got {value}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise IndexSettingsError(f"{name} must be a positive whole number of seconds, got {raw!r}")
    return int(raw)
