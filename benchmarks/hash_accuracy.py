"""Pair-level precision, recall and F1 of each hash method on a labelled folder, by threshold.

    python benchmarks/hash_accuracy.py [DEV_SET]

DEV_SET (default ``/tmp/devset``) holds ``images/`` and ``ground_truth.json`` (imagededup's map
format). Each method hashes the folder once; the duplicate class of ``evaluate`` is then read at
several ``max_distance_threshold`` values, its default marked with ``*``. PHash is also run at
its default threshold with every file decoded in full, with JPEGs drafted down to 64 px, and with
``dihedral=True``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from imagededup.evaluation import evaluate
from imagededup.methods import AHash, DHash, PDQHash, PHash, WHash

THRESHOLDS = {
    PHash: (4, 6, 8, 10, 12, 14),
    DHash: (4, 6, 8, 10, 12, 14),
    AHash: (4, 6, 8, 10, 12, 14),
    WHash: (4, 6, 8, 10, 12, 14),
    PDQHash: (20, 31, 50, 70, 80, 90),
}


def row(name: str, threshold: str, truth: dict, found: dict) -> str:
    result = evaluate(truth, found, metric="classification")
    p, r, f = (result[key][1] for key in ("precision", "recall", "f1_score"))
    return f"| {name} | {threshold} | {p:.3f} | {r:.3f} | {f:.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev_set", nargs="?", default="/tmp/devset", type=Path)
    args = parser.parse_args()
    truth = json.loads((args.dev_set / "ground_truth.json").read_text())
    images = args.dev_set / "images"
    print("| method | threshold | precision | recall | F1 |\n| --- | ---: | ---: | ---: | ---: |")
    for cls, thresholds in THRESHOLDS.items():
        hasher = cls(verbose=False)
        encodings = hasher.encode_images(images)
        for threshold in thresholds:
            found = hasher.find_duplicates(encoding_map=encodings, max_distance_threshold=threshold)
            mark = "*" if threshold == cls.default_threshold else ""
            print(row(cls.__name__, f"{threshold}{mark}", truth, found), flush=True)
    for draft_size in (None, 32):
        found = PHash(verbose=False, draft_size=draft_size).find_duplicates(image_dir=images)
        print(row(f"PHash(draft_size={draft_size})", "10*", truth, found))
    start = time.perf_counter()
    found = PHash(verbose=False).find_duplicates(image_dir=images, dihedral=True)
    seconds = time.perf_counter() - start
    print(row("PHash, dihedral=True", "10*", truth, found))
    print(f"\nPHash with dihedral=True, hashing and search: {seconds:.1f} s")


if __name__ == "__main__":
    main()
