"""Accuracy of every method at its default threshold on data sets with transformed copies.

Usage: python benchmarks/accuracy.py DATASET [DATASET ...] [--methods cnn,sscd,phash,...]
                                     [--imagededup-python PY]

A DATASET is what shared/data/build_dev_set.py or benchmarks/protocol.py builds: images/,
ground_truth.json (imagededup format) and manifest.csv (transform of each file). Prints pair
precision/recall/F1 overall and the recall of the duplicate pairs that involve each transform.
With ``--imagededup-python`` (a venv with imagededup 0.3.3, see benchmarks/peers), 0.3.3's PHash
at distance 10 runs on the same images in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

from imagededup.methods import CNN, AHash, DHash, PDQHash, PHash, WHash

PEER = Path(__file__).parent / "peers" / "imagededup033.py"
METHODS = {
    "cnn": lambda: CNN(verbose=False),
    "cnn_rotation": lambda: CNN(model="sscd_distilled", verbose=False),
    "cnn_fast": lambda: CNN(model="sscd_distilled_fast", verbose=False),
    "sscd": lambda: CNN(model="sscd", verbose=False),
    "phash": lambda: PHash(verbose=False),
    "dhash": lambda: DHash(verbose=False),
    "ahash": lambda: AHash(verbose=False),
    "whash": lambda: WHash(verbose=False),
    "pdq": lambda: PDQHash(verbose=False),
}


def true_pairs(ground_truth: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted((a, b))) for a, dups in ground_truth.items() for b in dups}


def found_pairs(duplicates: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted((a, b))) for a, dups in duplicates.items() for b in dups}


def pair_scores(truth: set, found: set) -> tuple[float, float, float]:
    """Precision, recall and F1 of the ``found`` pairs against the ``truth``."""
    hits = len(truth & found)
    precision, recall = hits / max(len(found), 1), hits / max(len(truth), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)


def score(truth: set, found: set, transform_of: dict[str, str]) -> dict[str, float]:
    hits = truth & found
    row = dict(zip(("precision", "recall", "f1"), pair_scores(truth, found), strict=True))
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair in truth:
        for transform in {transform_of[pair[0]], transform_of[pair[1]]}:
            per[transform][0] += pair in hits
            per[transform][1] += 1
    row.update({f"R:{t}": hit / total for t, (hit, total) in sorted(per.items())})
    return row


def run_method(name: str, images: Path) -> tuple[dict, float, str]:
    """Duplicate map, seconds and label of one method at its default threshold."""
    method = METHODS[name]()
    start = time.perf_counter()
    duplicates = method.find_duplicates(image_dir=images)
    return duplicates, time.perf_counter() - start, f"{name} @{method.default_threshold}"


def run_peer(python: str, images: Path) -> tuple[dict, float, str]:
    start = time.perf_counter()
    out = subprocess.run(
        [python, str(PEER), "duplicates", str(images)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout), time.perf_counter() - start, "imagededup 0.3.3 PHash @10"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--imagededup-python", help="python of a venv with imagededup 0.3.3")
    args = parser.parse_args()
    for dataset in args.datasets:
        ground_truth = json.loads((dataset / "ground_truth.json").read_text())
        with (dataset / "manifest.csv").open() as handle:
            transform_of = {row["file"]: row["transform"] for row in csv.DictReader(handle)}
        truth = true_pairs(ground_truth)
        runs = [partial(run_method, name) for name in args.methods.split(",")]
        if args.imagededup_python:
            runs.append(partial(run_peer, args.imagededup_python))
        rows = {}
        for run in runs:
            duplicates, seconds, label = run(dataset / "images")
            found = found_pairs(duplicates)
            rows[label] = {**score(truth, found, transform_of), "img/s": len(duplicates) / seconds}
        columns = list(next(iter(rows.values())))
        print(f"\n{dataset.name}: {len(ground_truth)} images, {len(truth)} duplicate pairs")
        print("| method | " + " | ".join(columns) + " |")
        print("|---" * (len(columns) + 1) + "|")
        for name, row in rows.items():
            cells = [f"{row[c]:.1f}" if c == "img/s" else f"{row[c]:.3f}" for c in columns]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
