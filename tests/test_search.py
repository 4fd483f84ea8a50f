"""Exact search against a brute-force reference, and pairs -> groups."""

from __future__ import annotations

import numpy as np
import pytest

from imagededup.groups import connected_groups, files_to_remove
from imagededup.search import Pairs, cross_pairs, similar_pairs
from imagededup.vectors import normalize


def brute_force(vectors, threshold):
    sims = vectors @ vectors.T
    i, j = np.nonzero(np.triu(sims >= threshold - 1e-6, k=1))
    return set(zip(i.tolist(), j.tolist(), strict=True))


def test_similar_pairs_match_brute_force():
    rng = np.random.default_rng(0)
    base = normalize(rng.normal(size=(300, 32)))
    noisy = normalize(base[:100] + rng.normal(scale=0.3, size=(100, 32)))
    vectors = np.concatenate([base, noisy])
    for threshold in (0.3, 0.7, 0.95):
        pairs = similar_pairs(vectors, threshold)
        assert set(zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)) == brute_force(
            vectors, threshold
        )
        expected = np.einsum("ij,ij->i", vectors[pairs.first], vectors[pairs.second])
        np.testing.assert_allclose(pairs.scores, expected, atol=1e-5)


def test_threshold_is_inclusive_and_identical_vectors_match_at_one():
    v = normalize(np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
    pairs = similar_pairs(v, 1.0)
    assert list(zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)) == [(0, 1)]
    assert pairs.scores.max() <= 1.0


def test_blocked_queries(monkeypatch):
    import imagededup.search.exact as exact

    monkeypatch.setattr(exact, "QUERY_BLOCK", 7)
    rng = np.random.default_rng(1)
    vectors = normalize(rng.normal(size=(50, 8)))
    assert len(similar_pairs(vectors, 0.5)) == len(brute_force(vectors, 0.5))


def test_cross_pairs_between_two_sets():
    q = normalize(np.array([[1.0, 0.0], [0.0, 1.0]]))
    b = normalize(np.array([[1.0, 0.01], [-1.0, 0.0], [0.0, 1.0]]))
    found = cross_pairs(q, b, 0.9)
    assert sorted(zip(found.first.tolist(), found.second.tolist(), strict=True)) == [(0, 0), (1, 2)]


def test_groups_are_connected_components():
    pairs = Pairs(np.array([0, 1, 5]), np.array([1, 2, 6]), np.ones(3, np.float32))
    assert connected_groups(7, pairs) == [[0, 1, 2], [5, 6]]
    names = list("abcdefg")
    assert files_to_remove(names, pairs) == ["b", "c", "g"]
    assert files_to_remove(names, Pairs.empty()) == []


def test_copy_aware_search_same_exact_and_approximate():
    from imagededup.search.copies import duplicate_pairs

    rng = np.random.default_rng(3)
    images = normalize(rng.normal(size=(400, 32)))
    copies = normalize(images[:40] + rng.normal(scale=0.08, size=(40, 32)))
    rotated = normalize(rng.normal(size=(440, 32)))  # unrelated views
    both = np.concatenate([np.concatenate([images, copies]), rotated], axis=1) / np.sqrt(2)
    exact = duplicate_pairs(both, 0.7, view_count=2, approximate=False)
    approx = duplicate_pairs(both, 0.7, view_count=2, approximate=True)
    pairs = set(zip(exact.first.tolist(), exact.second.tolist(), strict=True))
    assert {(k, 400 + k) for k in range(40)} <= pairs
    assert set(zip(approx.first.tolist(), approx.second.tolist(), strict=True)) <= pairs
    assert len(approx) >= 0.95 * len(exact)


def test_pairs_asked_for_get_the_score_the_search_gives_them_whatever_it_is():
    from imagededup.search.copies import duplicate_pairs

    rng = np.random.default_rng(4)
    images = normalize(rng.normal(size=(60, 16)))
    rotated = normalize(images[::-1] + rng.normal(scale=0.3, size=(60, 16)))  # views match
    vectors = np.concatenate([images, rotated], axis=1) / np.sqrt(2)
    every = duplicate_pairs(vectors, -1.0, view_count=2)  # normalised scores of all pairs
    assert len(every) == 60 * 59 // 2
    keys = zip(every.first.tolist(), every.second.tolist(), strict=True)
    score = dict(zip(keys, every.scores.tolist(), strict=True))
    high = 0.9 * float(every.scores.max())
    asked = (np.array([3, 0, 7]), np.array([0, 5, 59]))  # any order
    found = duplicate_pairs(vectors, high, view_count=2, also=asked)
    keys = zip(found.first.tolist(), found.second.tolist(), strict=True)
    pairs = dict(zip(keys, found.scores.tolist(), strict=True))
    assert {(0, 3), (0, 5), (7, 59)} <= set(pairs)
    assert min(pairs[p] for p in [(0, 3), (0, 5), (7, 59)]) < high  # below the threshold
    assert pairs == pytest.approx({p: score[p] for p in pairs}, abs=1e-5)


def test_list_by_list_ivf_search_finds_what_faiss_range_search_finds(monkeypatch):
    import imagededup.search.ann as ann
    from imagededup.search.ann import ivf_index, ivf_range_blocks
    from imagededup.search.exact import range_pairs, unique_pairs

    rng = np.random.default_rng(5)
    base = normalize(rng.normal(size=(3000, 16)))
    vectors = np.concatenate([base, normalize(base[:300] + rng.normal(scale=0.2, size=(300, 16)))])
    index = ivf_index(vectors, nprobe=4)
    faiss_pairs = unique_pairs(range_pairs(index, vectors, 0.8))
    monkeypatch.setattr(ann, "GROUP_PER_LIST", 1)  # several groups of queries
    monkeypatch.setattr(ann, "QUERY_BLOCK", 500)
    blocked = unique_pairs(Pairs.concat(list(ivf_range_blocks(index, vectors, 0.8))))
    np.testing.assert_array_equal(blocked.first, faiss_pairs.first)
    np.testing.assert_array_equal(blocked.second, faiss_pairs.second)
    np.testing.assert_allclose(blocked.scores, faiss_pairs.scores, atol=1e-5)
    assert len(blocked) >= 300


def test_pair_set_merges_repeats_keeping_the_best_score(monkeypatch):
    from imagededup.search.exact import PairSet, unique_pairs

    monkeypatch.setattr(PairSet, "MERGE_EVERY", 50)
    rng = np.random.default_rng(6)
    parts = [
        Pairs(rng.integers(0, 200, 120), rng.integers(0, 200, 120), rng.random(120, np.float32))
        for _ in range(30)
    ]
    found = PairSet(200)
    for part in parts:
        found.add(part)
    merged, expected = found.pairs(), unique_pairs(Pairs.concat(parts))
    order = np.lexsort((expected.second, expected.first))
    np.testing.assert_array_equal(merged.first, expected.first[order])
    np.testing.assert_array_equal(merged.second, expected.second[order])
    np.testing.assert_array_equal(merged.scores, expected.scores[order])
    assert (merged.first < merged.second).all()


def test_duplicate_map_orders_by_score_then_name_with_and_without_scores():
    from imagededup.results import duplicate_map

    names = ["d", "c", "b", "a"]
    pairs = Pairs(np.array([0, 0, 0, 1]), np.array([1, 2, 3, 2]), np.array([0.9, 0.8, 0.9, 0.7]))
    plain = duplicate_map(names, pairs)
    assert plain == {"d": ["a", "c", "b"], "c": ["d", "b"], "b": ["d", "c"], "a": ["d"]}
    scored = duplicate_map(names, pairs, scores=True)
    assert [name for name, _ in scored["d"]] == plain["d"]
    assert scored["b"] == [("d", pytest.approx(0.8)), ("c", pytest.approx(0.7))]
    assert all(type(score) is float for found in scored.values() for _, score in found)
    distances = Pairs(np.array([0, 2]), np.array([1, 3]), np.array([3, 1], np.int64))
    by_distance = duplicate_map(names, distances, scores=True, higher_is_closer=False)
    assert by_distance["d"] == [("c", 3)] and type(by_distance["d"][0][1]) is int


def test_glibc_is_asked_to_return_freed_memory():
    import sys

    from imagededup.heap import return_freed_memory

    assert return_freed_memory() == (sys.platform.startswith("linux") and _has_glibc())


def _has_glibc():
    import platform

    return platform.libc_ver()[0] == "glibc"
