"""The partitioned search's pieces without Ray: merged crowding and pairs equal the whole search."""

from __future__ import annotations

import numpy as np

from imagededup.search import partitions
from imagededup.search.copies import FLOOR, crowding
from imagededup.search.exact import best_pairs, flat_index, similar_pairs
from imagededup.search.pairs import Pairs


def clustered(count: int, seed: int = 0) -> np.ndarray:
    """Unit 64-d vectors in tight clusters of 30, so crowding is well above its floor."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((count // 30 + 1, 64), dtype=np.float32)
    vectors = centers[np.arange(count) % len(centers)] + 0.5 * rng.standard_normal(
        (count, 64), dtype=np.float32
    )
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_lists_split_the_search_without_changing_it():
    vectors = clustered(900)
    ids = np.arange(len(vectors))
    halves = [ids % 3 == 0, ids % 3 != 0]  # home rows of two lists; every row queries both
    found = [partitions.search_partition(vectors, ids, home, 0.6, 1) for home in halves]
    _, crowd = partitions.merged_crowding(
        np.concatenate([ids, ids]),
        np.concatenate([below for _, below, _ in found]),
        np.concatenate([over_cap for _, _, over_cap in found]),
    )
    expected = crowding(flat_index(vectors), vectors)
    assert (expected > FLOOR).mean() > 0.5  # crowded enough for the penalty to matter
    np.testing.assert_allclose(crowd, expected, atol=1e-5)
    pairs = best_pairs(Pairs.concat([pairs for pairs, _, _ in found]))
    exact = similar_pairs(vectors, 0.6)
    assert len(exact) > 1000
    assert sorted(zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)) == sorted(
        zip(exact.first.tolist(), exact.second.tolist(), strict=True)
    )
    np.testing.assert_allclose(np.sort(pairs.scores), np.sort(exact.scores), atol=1e-5)


def test_nearest_lists_send_border_rows_to_both_sides():
    centroids = np.eye(3, dtype=np.float32)
    rows = np.array([[1, 0, 0], [0.71, 0.70, 0], [0, 0, 1]], np.float32)
    row, lists = partitions.nearest_lists(rows / np.linalg.norm(rows, axis=1)[:, None], centroids)
    assert list(zip(row.tolist(), lists.tolist(), strict=True)) == [(0, 0), (1, 0), (1, 1), (2, 2)]
