"""``evaluate``: how well a retrieved duplicate map matches the ground truth (0.3.3's API)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from imagededup.evaluation.classification import classification_metrics
from imagededup.evaluation.maps import index_maps
from imagededup.evaluation.retrieval import retrieval_metrics

METRICS = ("map", "ndcg", "jaccard", "classification", "all")


def evaluate(
    ground_truth_map: Mapping, retrieved_map: Mapping, metric: str = "all"
) -> dict[str, float | np.ndarray]:
    """Metrics of ``retrieved_map`` (e.g. from ``find_duplicates``, with or without scores)
    against ``ground_truth_map``, both ``{file: [duplicate, ...]}`` with the same keys.

    ``metric`` is ``"map"``, ``"ndcg"`` or ``"jaccard"`` (mean over files of average precision,
    NDCG or Jaccard index: ``{metric: float}``), ``"classification"`` (pair classes: ``precision``,
    ``recall``, ``f1_score`` and ``support``, each an array ``[non-duplicate, duplicate]``), or
    ``"all"`` (everything in one dict). Raises ``ValueError`` for maps that cannot be compared.
    """
    name = metric.lower() if isinstance(metric, str) else metric
    if name not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(map(repr, METRICS))}, got {metric!r}")
    _, truth, found = index_maps(ground_truth_map, retrieved_map)
    result: dict[str, float | np.ndarray] = {}
    if name != "classification":
        ranking = retrieval_metrics(truth, found)
        result.update(ranking if name == "all" else {name: ranking[name]})
    if name in ("classification", "all"):
        result.update(classification_metrics(truth, found))
    return result
