"""Accuracy of every method at its default threshold on a dev set with transformed copies.

Usage: python benchmarks/accuracy.py DEVSET_DIR [--methods sscd_distilled,sscd]

DEVSET_DIR is what shared/data/build_dev_set.py builds: images/, ground_truth.json (imagededup
format) and manifest.csv (transform of each file). Prints pair precision/recall/F1 overall and the
recall of the duplicate pairs that involve each transform.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from pathlib import Path

from imagededup.methods import CNN


def true_pairs(ground_truth: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted((a, b))) for a, dups in ground_truth.items() for b in dups}


def found_pairs(duplicates: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted((a, b))) for a, dups in duplicates.items() for b in dups}


def score(truth: set, found: set, transform_of: dict[str, str]) -> dict[str, float]:
    hits = truth & found
    precision = len(hits) / max(len(found), 1)
    recall = len(hits) / max(len(truth), 1)
    row = {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / max(precision + recall, 1e-12),
    }
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair in truth:
        for transform in {transform_of[pair[0]], transform_of[pair[1]]}:
            per[transform][0] += pair in hits
            per[transform][1] += 1
    row.update({f"R:{t}": hit / total for t, (hit, total) in sorted(per.items())})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("devset", type=Path)
    parser.add_argument("--methods", default="sscd_distilled,sscd")
    args = parser.parse_args()
    ground_truth = json.loads((args.devset / "ground_truth.json").read_text())
    with (args.devset / "manifest.csv").open() as handle:
        transform_of = {row["file"]: row["transform"] for row in csv.DictReader(handle)}
    truth = true_pairs(ground_truth)
    rows = {}
    for method in args.methods.split(","):
        cnn = CNN(model=method, verbose=False)
        start = time.perf_counter()
        duplicates = cnn.find_duplicates(image_dir=args.devset / "images")
        elapsed = time.perf_counter() - start
        rows[f"{method} @{cnn.default_threshold}"] = {
            **score(truth, found_pairs(duplicates), transform_of),
            "img/s": len(duplicates) / elapsed,
        }
    columns = list(next(iter(rows.values())))
    print(f"{len(ground_truth)} images, {len(truth)} duplicate pairs")
    print("| method | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in rows.items():
        cells = [f"{row[c]:.1f}" if c == "img/s" else f"{row[c]:.3f}" for c in columns]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
