"""Duplicate pairs -> groups (connected components) -> which files to keep and which to remove."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from imagededup.search.pairs import Pairs


def connected_groups(count: int, pairs: Pairs) -> list[list[int]]:
    """Groups of two or more items joined by ``pairs``, each sorted, ordered by first member."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(pairs.first.tolist(), pairs.second.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for i in range(count):
        members.setdefault(root(i), []).append(i)
    return [group for group in members.values() if len(group) > 1]


def files_to_remove(names: Sequence[str], pairs: Pairs) -> list[str]:
    """Every file of each group but its first (in ``names`` order), so one of each group is left."""
    return [names[i] for group in connected_groups(len(names), pairs) for i in group[1:]]


def groups_from_map(
    duplicates: Mapping[str, Sequence[str] | Sequence[tuple[str, float]]],
) -> list[list[str]]:
    """Groups of a duplicate map (with or without scores), as lists of names in map order."""
    names = list(duplicates)
    index = {name: i for i, name in enumerate(names)}
    edges = [
        (index[name], index[other if isinstance(other, str) else other[0]])
        for name, found in duplicates.items()
        for other in found
    ]
    edge_array = np.array(edges, dtype=np.int64).reshape(-1, 2)
    pairs = Pairs(edge_array[:, 0], edge_array[:, 1], np.zeros(len(edge_array), np.float32))
    return [[names[i] for i in group] for group in connected_groups(len(names), pairs)]
