"""Fit the classifier that decides pairs of graphics (``search.graphics``) on a tuning half.

Usage: python benchmarks/fit_graphics.py SET [--model NAME] [--cache FILE] [--out FILE]

SET is a folder built by benchmarks/sets/graphics.py. The classifier is fitted on its ``tune``
half only: every pair of graphics that ``graphic_candidates`` finds there (``--model`` and its
default threshold), labelled by the ground truth. The shipped file was fitted with
``sscd_distilled`` (the default here), the default model until 2026-12-02: fitted with
today's default instead, the whole method's graphics F1 is lower on both halves (README,
"Generalisation"). It was fitted before drawings were cut to their drawn pixels (2026-12-02):
refitted since, the reporting halves and /usr/share do worse, so it stays (README, "Copies in
another format"). Boosted trees of depth 2, monotone in every
similarity; the cut on their log-odds is the one of best pair F1 on the tuning half. The
reporting half is then scored with the new classifier (pairs only: no joining or grouping; the
full method is measured by benchmarks/generalisation.py). Needs scikit-learn, which the
package itself does not: run it in a throwaway environment that has both.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from accuracy import true_pairs
from sklearn.ensemble import HistGradientBoostingClassifier

from imagededup.methods import CNN
from imagededup.search.drawing import Drawings
from imagededup.search.graphics import (
    FEATURES,
    MODEL,
    SearchVectors,
    Trees,
    graphic_candidates,
    pair_features,
)

MONOTONE = {"margin": 1, "iou": 1, "colours": 1, "blockratio": 0}
"""Direction of features (by name prefix): +1 larger is more alike, 0 either; others -1."""
FITTED_ON = "sscd_distilled"
"""The model whose candidate pairs and scores the shipped classifier was fitted on."""
TREES = {"max_depth": 2, "max_iter": 300, "learning_rate": 0.05, "random_state": 0}


def direction(feature: str) -> int:
    """+1 when a larger value means more alike, -1 less alike, 0 either way: the trees may never
    count a closer match against a pair (a copy at the same size, unlike any tuning pair, stays
    a copy); how local a difference is (``blockratio``) may count either way."""
    return next((sign for name, sign in MONOTONE.items() if feature.startswith(name)), -1)


def candidates(cnn: CNN, half: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Features and labels of a half's candidate pairs, and its number of true pairs."""
    images = half / "images"
    encodings = cnn.encode_images(images)
    names = sorted(encodings)
    vectors = np.stack([encodings[name] for name in names]).astype(np.float32)
    read = Drawings([images / name for name in names])
    searched = SearchVectors(vectors, cnn.view_count(vectors), cnn.background(vectors))
    threshold = cnn.default_threshold
    pairs = graphic_candidates(searched, threshold, read)
    truth = true_pairs(json.loads((half / "ground_truth.json").read_text()))
    labels = np.array(
        [
            tuple(sorted((names[i], names[j]))) in truth
            for i, j in zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)
        ]
    )
    return pair_features(pairs, read, threshold), labels, len(truth)


def scores(accepted: np.ndarray, labels: np.ndarray, true_count: int) -> tuple[float, float, float]:
    """Pair precision, recall (of all true pairs) and F1."""
    hits = int((accepted & labels).sum())
    precision = hits / max(int(accepted.sum()), 1)
    recall = hits / max(true_count, 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)


def exported(model: HistGradientBoostingClassifier, cut: float) -> dict[str, np.ndarray]:
    """The fitted trees as ``search.graphics.Trees`` arrays."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("feature", "split", "left", "right")}
    parts |= {"value": [], "leaf": []}
    roots, offset = [], 0
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        roots.append(offset)
        parts["feature"].append(nodes["feature_idx"])
        parts["split"].append(nodes["num_threshold"])
        parts["left"].append(nodes["left"] + offset)
        parts["right"].append(nodes["right"] + offset)
        parts["value"].append(nodes["value"])
        parts["leaf"].append(nodes["is_leaf"].astype(bool))
        offset += len(nodes)
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    return arrays | {
        "roots": np.array(roots, np.int64),
        "base": np.array(float(np.ravel(model._baseline_prediction)[0])),
        "cut": np.array(cut),
        "features": np.array(FEATURES),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", type=Path)
    parser.add_argument("--model", default=FITTED_ON)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args()
    cnn = CNN(model=args.model, verbose=False, cache=args.cache)
    x, y, true_count = candidates(cnn, args.set / "tune")
    print(f"tune: {len(y)} candidate pairs, {int(y.sum())} of {true_count} true pairs among them")
    model = HistGradientBoostingClassifier(
        monotonic_cst=[direction(f) for f in FEATURES], **TREES
    ).fit(x, y)
    log_odds = model.decision_function(x)
    cuts = np.quantile(log_odds, np.linspace(0.5, 0.999, 500))
    cut = float(max(cuts, key=lambda c: scores(log_odds >= c, y, true_count)[2]))
    arrays = exported(model, cut)
    trees = Trees(arrays)
    assert np.allclose(trees.log_odds(x), log_odds, atol=1e-6), "exported trees disagree"
    np.savez_compressed(args.out, **arrays)
    precision, recall, f1 = scores(trees.accepts(x), y, true_count)
    print(f"tune   P {precision:.3f} R {recall:.3f} F1 {f1:.3f} cut {cut:.3f}")
    x, y, true_count = candidates(cnn, args.set / "report")
    precision, recall, f1 = scores(trees.accepts(x), y, true_count)
    print(f"report P {precision:.3f} R {recall:.3f} F1 {f1:.3f}")
    print(f"wrote {args.out}: {len(trees.roots)} trees, {len(trees.leaf)} nodes")


if __name__ == "__main__":
    main()
