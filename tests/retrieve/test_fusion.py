"""Reciprocal rank fusion, on cases computed by hand."""

import pytest

from pagesight.retrieve.fusion import rrf


def test_rrf_sums_reciprocal_ranks():
    fused = rrf({"text": ["a", "b", "c"], "visual": ["b", "a"]}, k=60)
    scores = {key: score for key, score, _ in fused}
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["c"] == pytest.approx(1 / 63)
    # a and b tie: a was seen first (first channel, rank 1)
    assert [key for key, _, _ in fused] == ["a", "b", "c"]
    assert {key: channels for key, _, channels in fused} == {"a": ["text", "visual"], "b": ["text", "visual"],
                                                               "c": ["text"]}


def test_weights_scale_each_channel():
    fused = rrf({"text": ["a", "b"], "visual": ["b", "a"]}, weights={"text": 1.0, "visual": 3.0}, k=1)
    # a: 1/2 + 3/3 = 1.5 ; b: 1/3 + 3/2 = 1.8333
    assert [(key, round(score, 4)) for key, score, _ in fused] == [("b", 1.8333), ("a", 1.5)]


def test_a_zero_weight_silences_a_channel_but_keeps_what_it_found():
    fused = rrf({"text": ["a"], "figure": ["z"]}, weights={"figure": 0.0})
    assert [(key, score > 0, channels) for key, score, channels in fused] == [("a", True, ["text"]),
                                                                               ("z", False, ["figure"])]


def test_empty_inputs():
    assert rrf({}) == []
    assert rrf({"text": []}) == []
