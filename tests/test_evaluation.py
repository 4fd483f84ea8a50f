"""evaluate() against imagededup 0.3.3's numbers, its input checks, and its speed at scale."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from imagededup.evaluation import evaluate

CASES = json.loads((Path(__file__).resolve().parent / "data" / "evaluation_cases.json").read_text())


def names_only(duplicates):
    return {name: [entry[0] for entry in found] for name, found in duplicates.items()}


def assert_same_metrics(ours, expected):
    assert set(ours) == set(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("case", sorted(CASES))
def test_numbers_equal_imagededup_033(case):
    truth, retrieved = CASES[case]["ground_truth"], CASES[case]["retrieved"]
    expected = CASES[case]["expected"]
    assert_same_metrics(evaluate(truth, names_only(retrieved)), expected)
    scored = {k: [tuple(entry) for entry in v] for k, v in retrieved.items()}
    assert_same_metrics(evaluate(truth, scored), expected)  # (name, score) tuples
    assert_same_metrics(evaluate(truth, retrieved), expected)  # [name, score] from JSON


def test_single_metrics_and_types():
    case = CASES["small"]
    truth, retrieved = case["ground_truth"], case["retrieved"]
    for metric in ("map", "ndcg", "jaccard"):
        result = evaluate(truth, retrieved, metric=metric.upper())
        assert list(result) == [metric]
        assert isinstance(result[metric], float)
        assert result[metric] == pytest.approx(case["expected"][metric], rel=1e-12)
    classes = evaluate(truth, retrieved, metric="classification")
    assert list(classes) == ["precision", "recall", "f1_score", "support"]
    assert classes["support"].dtype == np.int64 and classes["precision"].shape == (2,)


def test_perfect_retrieval_scores_one():
    truth = {"a": ["b"], "b": ["a"], "c": []}
    result = evaluate(truth, truth)
    assert result["map"] == result["ndcg"] == result["jaccard"] == 1.0
    np.testing.assert_array_equal(result["f1_score"], [1.0, 1.0])
    np.testing.assert_array_equal(result["support"], [2, 1])


@pytest.mark.parametrize(
    ("truth", "retrieved", "message"),
    [
        ({"a": ["b"], "b": ["a"]}, {"a": [], "c": []}, "same keys"),
        ({"a": ["b"], "b": []}, {"a": [], "b": []}, "not symmetric: 'a' lists 'b'"),
        ({"a": [], "b": []}, {"a": ["z"], "b": []}, "lists 'z', which is not a key"),
        ({"a": [], "b": []}, {"a": "b", "b": []}, "must be a list"),
        ({"a": [], "b": []}, {"a": [("b", 1, 2)], "b": []}, "name, score"),
        ({}, {}, "empty"),
    ],
)
def test_maps_that_cannot_be_compared_are_rejected(truth, retrieved, message):
    with pytest.raises(ValueError, match=message):
        evaluate(truth, retrieved)


def test_unknown_metric():
    with pytest.raises(ValueError, match="metric must be one of"):
        evaluate({"a": []}, {"a": []}, metric="f1")


def test_100k_files_evaluate_in_seconds():
    # Groups of 5; the retrieved map misses the last file of each group and joins every 10th
    # group to the next one. 0.3.3 would list 5e9 pairs here.
    count = 100_000
    names = [f"{i:06d}.jpg" for i in range(count)]
    truth = {
        name: [m for m in names[i - i % 5 : i - i % 5 + 5] if m != name]
        for i, name in enumerate(names)
    }
    missed = set(names[4::5])
    retrieved = {
        name: [] if name in missed else [m for m in found if m not in missed]
        for name, found in truth.items()
    }
    for i in range(0, count - 5, 50):
        a, b = names[i], names[i + 5]
        retrieved[a].append(b)
        retrieved[b].append(a)
    start = time.perf_counter()
    result = evaluate(truth, retrieved)
    assert time.perf_counter() - start < 20  # about 2 s on 2 busy cores
    true_pairs, found_true = count * 2, count // 5 * 6
    np.testing.assert_allclose(result["recall"][1], found_true / true_pairs)
    np.testing.assert_allclose(result["precision"][1], found_true / (found_true + count // 50))
    assert result["support"].tolist() == [count * (count - 1) // 2 - true_pairs, true_pairs]
