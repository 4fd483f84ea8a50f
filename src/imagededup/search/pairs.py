"""The output of every search: matched pairs as three parallel arrays, and ranking them by file."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Pairs:
    """Matches ``(first[k], second[k])`` with similarity (or distance) ``scores[k]``."""

    first: np.ndarray
    second: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls, score_dtype: type = np.float32) -> Pairs:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, score_dtype))

    @classmethod
    def concat(cls, parts: list[Pairs]) -> Pairs:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.first for p in parts]),
            np.concatenate([p.second for p in parts]),
            np.concatenate([p.scores for p in parts]),
        )

    def take(self, rows: np.ndarray) -> Pairs:
        """The pairs at ``rows`` (indices, or a mask of those kept), in that order."""
        return Pairs(self.first[rows], self.second[rows], self.scores[rows])

    def __len__(self) -> int:
        return len(self.first)


def runs(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` grouped by ``keys``, largest first within each key: their order, the first
    position of each key's run in that order, and the run of each position (for per-key
    bests, ranks and runners-up)."""
    order = np.lexsort((-values, keys))
    ordered = keys[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]][: len(order)]
    return order, np.flatnonzero(starts), np.cumsum(starts) - 1
