"""Evaluate a duplicate map against the ground truth: MAP, NDCG, Jaccard and pair classification."""

from imagededup.evaluation.metrics import METRICS, evaluate

__all__ = ["METRICS", "evaluate"]
