"""Duplicate maps -> integer arrays, after checking that they can be compared.

A map is ``{file: [duplicate, ...]}``; duplicates may carry scores (``(name, score)`` tuples, or
``[name, score]`` lists when loaded from JSON). Both maps must have the same keys, list only keys,
and be symmetric (``b`` in ``map[a]`` exactly when ``a`` in ``map[b]``), as imagededup 0.3.3
required.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Entries:
    """Every list entry of a map as ``(query[k], item[k])`` file numbers, in key then list order,
    and the length of each key's list."""

    query: np.ndarray
    item: np.ndarray
    lengths: np.ndarray

    def codes(self, count: int) -> np.ndarray:
        """One int64 per entry, ``query * count + item``: the directed pair as a number."""
        return self.query * count + self.item

    def unordered(self, count: int) -> np.ndarray:
        """Sorted unique codes of the unordered pairs (smaller first), self-pairs left out."""
        low, high = np.minimum(self.query, self.item), np.maximum(self.query, self.item)
        keep = low != high
        return np.unique(low[keep] * count + high[keep])


def index_maps(
    ground_truth_map: Mapping, retrieved_map: Mapping
) -> tuple[list[str], Entries, Entries]:
    """File names (ground truth key order) and the entries of both maps; ``ValueError`` if the
    maps differ in keys, list files that are not keys, or are not symmetric."""
    for label, duplicates in (
        ("ground_truth_map", ground_truth_map),
        ("retrieved_map", retrieved_map),
    ):
        if not isinstance(duplicates, Mapping):
            raise TypeError(f"{label} must be a dict of file -> list of duplicates")
    names = list(ground_truth_map)
    if not names:
        raise ValueError("ground_truth_map is empty: there is nothing to evaluate")
    if set(names) != set(retrieved_map):
        differ = sorted(set(names).symmetric_difference(retrieved_map))
        raise ValueError(
            f"ground_truth_map and retrieved_map must have the same keys; {len(differ)} differ,"
            f" e.g. {differ[:5]}"
        )
    index = {name: i for i, name in enumerate(names)}
    truth = _entries(ground_truth_map, names, index, "ground_truth_map")
    found = _entries(retrieved_map, names, index, "retrieved_map")
    return names, truth, found


def _entries(duplicates: Mapping, names: list[str], index: dict[str, int], label: str) -> Entries:
    items: list[int] = []
    lengths = np.zeros(len(names), dtype=np.int64)
    for number, name in enumerate(names):
        found = duplicates[name]
        if isinstance(found, str) or not isinstance(found, list | tuple):
            raise ValueError(f"{label}[{name!r}] must be a list of file names, got {found!r}")
        for entry in found:
            other = entry if isinstance(entry, str) else _scored_name(entry, name, label)
            if other not in index:
                raise ValueError(f"{label}[{name!r}] lists {other!r}, which is not a key of it")
            items.append(index[other])
        lengths[number] = len(found)
    query = np.repeat(np.arange(len(names), dtype=np.int64), lengths)
    entries = Entries(query, np.array(items, dtype=np.int64), lengths)
    _check_symmetric(entries, names, label)
    return entries


def _scored_name(entry: object, name: str, label: str) -> str:
    """The name of a ``(name, score)`` entry."""
    if isinstance(entry, list | tuple) and len(entry) == 2 and isinstance(entry[0], str):
        return entry[0]
    raise ValueError(
        f"{label}[{name!r}] has {entry!r}; entries must be file names or (name, score) pairs"
    )


def _check_symmetric(entries: Entries, names: list[str], label: str) -> None:
    count = len(names)
    reverse = entries.item * count + entries.query
    missing = np.flatnonzero(~np.isin(reverse, entries.codes(count)))
    if len(missing):
        a, b = names[entries.query[missing[0]]], names[entries.item[missing[0]]]
        raise ValueError(
            f"{label} is not symmetric: {a!r} lists {b!r} but {b!r} does not list {a!r}"
            f" ({len(missing)} such entries)"
        )
