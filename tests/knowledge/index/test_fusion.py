"""Reciprocal rank fusion."""

from __future__ import annotations

import pytest

from knowledge.index.fusion import reciprocal_rank_fusion


def test_an_item_high_in_both_rankings_beats_one_first_in_only_one() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d", "a"]])
    assert [key for key, _ in fused] == ["b", "a", "d", "c"]


def test_scores_are_sums_of_one_over_k_plus_rank() -> None:
    fused = dict(reciprocal_rank_fusion([["a"], ["x", "a"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["x"] == pytest.approx(1 / 61)


def test_empty_rankings_fuse_to_nothing() -> None:
    assert reciprocal_rank_fusion([[], []]) == []
