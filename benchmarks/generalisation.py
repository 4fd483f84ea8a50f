"""Accuracy on sets the defaults were not tuned on, per half, with the speed of the same run.

Usage: python benchmarks/generalisation.py SET [SET ...] [--model sscd_distilled]
                                           [--threshold T] [--cache FILE]

A SET is a folder built by ``benchmarks/sets/*.py`` (``tune/`` and ``report/`` halves) or one
data set in the layout of ``benchmarks/accuracy.py`` (e.g. the dev set). For each half: pair
precision, recall and F1 of ``CNN.find_duplicates`` at the model's default threshold, then the
recall of the duplicate pairs that involve each transform (``all``) and of those between a copy
and its original (``vs orig``), the recall per kind (graphics), and the false pairs by the kinds
of their two files. img/s is the whole ``find_duplicates`` (decode, encode, search); with
``--cache`` (an SQLite file of vectors) re-runs skip encoding, and img/s is then not a speed.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from accuracy import found_pairs, true_pairs

from imagededup.methods import CNN

Pair = tuple[str, str]


def halves(dataset: Path) -> list[tuple[str, Path]]:
    """``(label, folder)`` of each half of a built set, or of the data set itself."""
    parts = [dataset / h for h in ("tune", "report") if (dataset / h / "images").is_dir()]
    return [(f"{dataset.name}/{p.name}", p) for p in parts] or [(dataset.name, dataset)]


def recall_by(truth: set[Pair], hits: set[Pair], label: dict[str, str]) -> dict[str, list[int]]:
    """``{label: [found, total]}`` over the true pairs that involve a file with that label."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair in truth:
        for name in {label[pair[0]], label[pair[1]]}:
            per[name][0] += pair in hits
            per[name][1] += 1
    return per


def report(label: str, folder: Path, cnn: CNN, threshold: float | None) -> None:
    truth = true_pairs(json.loads((folder / "ground_truth.json").read_text()))
    with (folder / "manifest.csv").open() as handle:
        rows = {row["file"]: row for row in csv.DictReader(handle)}
    start = time.perf_counter()
    duplicates = cnn.find_duplicates(
        image_dir=folder / "images", min_similarity_threshold=threshold
    )
    speed = len(duplicates) / (time.perf_counter() - start)
    found = found_pairs(duplicates)
    hits = truth & found
    precision, recall = len(hits) / max(len(found), 1), len(hits) / max(len(truth), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    print(f"\n### {label}: {len(rows)} images, {len(truth)} duplicate pairs, {len(found)} found")
    print("| precision | recall | F1 | img/s |\n|---|---|---|---|")
    print(f"| {precision:.4f} | {recall:.4f} | {f1:.4f} | {speed:.1f} |")
    transform = {name: row["transform"] for name, row in rows.items()}
    every = recall_by(truth, hits, transform)
    is_orig = {name: is_orig_name(t) for name, t in transform.items()}
    with_orig = {p for p in truth if is_orig[p[0]] != is_orig[p[1]]}
    vs_orig = recall_by(with_orig, hits & with_orig, transform)
    print("\n| transform | recall (all pairs) | recall (vs orig) |\n|---|---|---|")
    for name, (hit, total) in sorted(every.items()):
        orig = vs_orig.get(name)
        cell = f"{orig[0] / orig[1]:.3f}" if orig and not is_orig_name(name) else "-"
        print(f"| {name} | {hit / total:.3f} ({total}) | {cell} |")
    if "kind" in next(iter(rows.values())):
        kind = {name: row["kind"] for name, row in rows.items()}
        per_kind = recall_by(truth, hits, kind)
        false = Counter("|".join(sorted({kind[a], kind[b]})) for a, b in found - truth)
        print("\n| kind | recall | false pairs with this kind |\n|---|---|---|")
        for name, (hit, total) in sorted(per_kind.items()):
            wrong = sum(n for k, n in false.items() if name in k.split("|"))
            print(f"| {name} | {hit / total:.3f} ({total}) | {wrong} |")
        print("false pairs by kinds:", dict(false.most_common(8)))


def is_orig_name(transform: str) -> bool:
    return transform in ("orig", "original")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--model", default="sscd_distilled")
    parser.add_argument("--threshold", type=float)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    cnn = CNN(model=args.model, verbose=False, cache=args.cache)
    print(f"model {args.model}, threshold {args.threshold or cnn.default_threshold}")
    for dataset in args.sets:
        for label, folder in halves(dataset):
            report(label, folder, cnn, args.threshold)


if __name__ == "__main__":
    main()
