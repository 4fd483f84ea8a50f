"""Ranking metrics per file, averaged over files: MAP, NDCG and Jaccard, as in imagededup 0.3.3.

Each file is a query; its ground-truth list is the relevant set and its retrieved list the ranked
answer. A file with both lists empty scores 1, one with only one of them empty scores 0. Computed
for all files at once from the entry arrays, so a million entries take well under a second.
"""

from __future__ import annotations

import numpy as np

from imagededup.evaluation.maps import Entries


def retrieval_metrics(truth: Entries, found: Entries) -> dict[str, float]:
    """``{"map", "ndcg", "jaccard"}``: mean average precision, mean NDCG (binary relevance, ideal
    order of the retrieved list, as 0.3.3 computed it) and mean Jaccard index of the two sets."""
    count = len(truth.lengths)
    relevant = np.isin(found.codes(count), truth.codes(count))
    starts = np.cumsum(found.lengths) - found.lengths  # position of each list's first entry
    rank = np.arange(len(relevant)) - np.repeat(starts, found.lengths)
    hits = np.cumsum(relevant)
    hits_in_list = hits - np.repeat(np.concatenate([[0], hits])[starts], found.lengths)

    precision_sum = np.bincount(
        found.query, weights=relevant * hits_in_list / (rank + 1), minlength=count
    )
    average_precision = precision_sum / np.maximum(truth.lengths, 1)

    discount = 1.0 / np.log2(np.arange(found.lengths.max(initial=0)) + 2)
    dcg = np.bincount(found.query, weights=relevant * discount[rank], minlength=count)
    relevant_count = np.bincount(found.query, weights=relevant, minlength=count).astype(np.int64)
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[relevant_count]
    ndcg = np.divide(dcg, ideal, out=np.zeros(count), where=dcg > 0)

    jaccard = _jaccard(truth, found, count)

    both_empty = (truth.lengths == 0) & (found.lengths == 0)
    one_empty = (truth.lengths == 0) != (found.lengths == 0)
    result = {}
    for name, values in (("map", average_precision), ("ndcg", ndcg), ("jaccard", jaccard)):
        values = np.where(both_empty, 1.0, np.where(one_empty, 0.0, values))
        result[name] = float(np.mean(values))
    return result


def _jaccard(truth: Entries, found: Entries, count: int) -> np.ndarray:
    truth_codes = np.unique(truth.codes(count))
    found_codes = np.unique(found.codes(count))
    common = np.intersect1d(truth_codes, found_codes, assume_unique=True)
    both = np.bincount(common // count, minlength=count)
    union = np.bincount(truth_codes // count, minlength=count) + np.bincount(
        found_codes // count, minlength=count
    )
    union -= both
    return np.divide(both, union, out=np.zeros(count), where=union > 0)
