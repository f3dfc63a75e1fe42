"""The topic-threshold calibration counts right, wrong and spurious topics and picks the best threshold."""

from __future__ import annotations

from knowledge.index.calibrate_topics import CALIBRATION_FILE, Passage, choose, load_passages, table
from knowledge.index.settings import DEFAULT_TOPIC_THRESHOLD

PASSAGES = [
    Passage("Pas", "Et pas koster 763 kr.", "passport"),
    Passage("Storskrald", "Bestil afhentning af storskrald.", "bulky_waste"),
    Passage("Skolestart", "Indskriv dit barn i børnehaveklasse.", "school_enrollment"),
    Passage("Biblioteket", "Biblioteket har åbent kl. 8-22.", None),
]
FOUND = [("passport", 0.91), ("bulky_waste", 0.86), ("childcare", 0.88), ("bulky_waste", 0.84)]


def test_each_threshold_counts_right_wrong_and_spurious_topics() -> None:
    low, middle, high = table(PASSAGES, FOUND, [0.80, 0.85, 0.90])
    assert (low.right, low.wrong, low.spurious, low.labelled) == (2, 1, 1, 3)
    assert (middle.right, middle.wrong, middle.spurious) == (2, 1, 0)
    assert (high.right, high.wrong, high.spurious) == (1, 0, 0)


def test_the_choice_weighs_a_wrong_topic_twice_and_prefers_the_higher_threshold_on_a_tie() -> None:
    rows = table(PASSAGES, FOUND, [0.80, 0.85, 0.87, 0.89, 0.90])
    assert [row.score for row in rows] == [-2, 0, -1, 1, 1]
    assert choose(rows).threshold == 0.90


def test_the_calibration_file_covers_topics_and_pages_about_none() -> None:
    passages = load_passages(CALIBRATION_FILE)
    about_none = [p for p in passages if p.topic is None]
    assert len(passages) >= 60 and len(about_none) >= 15
    assert len({p.topic for p in passages if p.topic is not None}) >= 25
    assert 0.85 <= DEFAULT_TOPIC_THRESHOLD <= 0.95
