"""Hamming search against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

import imagededup.search.hamming as hamming
from imagededup.search.hamming import closest_per_pair, cross_hamming_pairs, hamming_pairs


def distances(a, b):
    return np.unpackbits(a[:, None, :] ^ b[None, :, :], axis=2).sum(axis=2)


def near_copies(count, nbytes, seed):
    """Random codes, a third of them a few bits away from another one."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (count, nbytes), dtype=np.uint8)
    third = count // 3
    noise = np.packbits(rng.random((third, nbytes * 8)) < 0.08, axis=1)
    codes[-third:] = codes[:third] ^ noise
    return codes


def as_set(pairs):
    return set(zip(pairs.first.tolist(), pairs.second.tolist(), pairs.scores.tolist(), strict=True))


@pytest.mark.parametrize(("nbytes", "thresholds"), [(8, (0, 3, 10, 64)), (32, (0, 31, 256))])
def test_pairs_match_brute_force(nbytes, thresholds):
    codes = near_copies(300, nbytes, seed=nbytes)
    codes[5] = codes[4]  # an exact copy
    full = distances(codes, codes)
    for threshold in thresholds:
        i, j = np.nonzero(np.triu(full <= threshold, k=1))
        expected = set(zip(i.tolist(), j.tolist(), full[i, j].tolist(), strict=True))
        found = hamming_pairs(codes, threshold)
        assert found.scores.dtype == np.int64
        assert as_set(found) == expected
        assert len(found) == len(expected)  # each pair once


def test_blocked_queries_give_the_same_pairs(monkeypatch):
    codes = near_copies(200, 8, seed=1)
    whole = as_set(hamming_pairs(codes, 12))
    monkeypatch.setattr(hamming, "QUERY_BLOCK", 7)
    assert as_set(hamming_pairs(codes, 12)) == whole


def test_cross_pairs_and_closest_version():
    base = near_copies(60, 8, seed=2)
    versions = np.stack([base ^ np.uint8(k) for k in range(4)], axis=1)  # 4 versions per item
    found = cross_hamming_pairs(versions.reshape(-1, 8), base, 6)
    full = distances(versions.reshape(-1, 8), base)
    q, b = np.nonzero(full <= 6)
    assert as_set(found) == set(zip(q.tolist(), b.tolist(), full[q, b].tolist(), strict=True))
    closest = closest_per_pair(found, 4)
    best = full.reshape(60, 4, 60).min(axis=1)
    best = np.minimum(best, best.T)
    i, j = np.nonzero(np.triu(best <= 6, k=1))
    assert as_set(closest) == set(zip(i.tolist(), j.tolist(), best[i, j].tolist(), strict=True))


def test_empty_inputs():
    empty = np.empty((0, 8), np.uint8)
    assert len(hamming_pairs(empty, 5)) == 0
    assert len(cross_hamming_pairs(empty, np.zeros((3, 8), np.uint8), 5)) == 0


def test_many_hashes_search_quickly():
    # 20,000 x 20,000 comparisons; the benchmark times 100,000 (a few seconds on 2 cores).
    codes = near_copies(20_000, 8, seed=3)
    found = hamming_pairs(codes, 10)
    assert len(found) >= 0.9 * (20_000 // 3)  # most planted near copies are within 10 bits
