"""Pair classification: every unordered pair of files is a duplicate (class 1) or not (class 0).

imagededup 0.3.3 listed all N(N-1)/2 pairs to feed scikit-learn; the four counts only need the
positive pairs of each map (true negatives are the rest), so 100,000 files take well under a
second. The output has 0.3.3's keys and layout: arrays of ``[class 0, class 1]``.
"""

from __future__ import annotations

import numpy as np

from imagededup.evaluation.maps import Entries


def classification_metrics(truth: Entries, found: Entries) -> dict[str, np.ndarray]:
    """``precision``, ``recall``, ``f1_score`` (float arrays) and ``support`` (int array) of the
    non-duplicate and duplicate pair classes; a metric whose denominator is 0 is 0, as in
    scikit-learn."""
    count = len(truth.lengths)
    true_pairs, found_pairs = truth.unordered(count), found.unordered(count)
    tp = len(np.intersect1d(true_pairs, found_pairs, assume_unique=True))
    fp, fn = len(found_pairs) - tp, len(true_pairs) - tp
    tn = count * (count - 1) // 2 - tp - fp - fn
    return {
        "precision": np.array([_ratio(tn, tn + fn), _ratio(tp, tp + fp)]),
        "recall": np.array([_ratio(tn, tn + fp), _ratio(tp, tp + fn)]),
        "f1_score": np.array([_ratio(2 * tn, 2 * tn + fp + fn), _ratio(2 * tp, 2 * tp + fp + fn)]),
        "support": np.array([tn + fp, tp + fn], dtype=np.int64),
    }


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0
