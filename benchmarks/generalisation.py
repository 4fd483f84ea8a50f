"""Accuracy on sets the defaults were not tuned on, per half, with the speed of the same run.

Usage: python benchmarks/generalisation.py SET [SET ...] [--model NAME]
                                           [--threshold T] [--cache FILE]

A SET is a folder built by ``benchmarks/sets/*.py`` (``tune/`` and ``report/`` halves) or one
data set in the layout of ``benchmarks/accuracy.py`` (e.g. the dev set). For each half: pair
precision, recall and F1 of ``CNN.find_duplicates`` at the model's default threshold, the same
over every pair within a group (``groups``: what ``find_duplicates_to_remove`` and ``act``
remove from, larger than the pairs where a group is not a clique), then the
recall of the duplicate pairs that involve each transform (``all``) and of those between a copy
and its original (``vs orig``), the recall per kind (graphics), and the false pairs by the kinds
of their two files. img/s is the whole ``find_duplicates`` (decode, encode, search); with
``--cache`` (an SQLite file of vectors) re-runs skip encoding, and img/s is then not a speed.
``--speed-against 25@192`` also times encoding with the model's views replaced by those (the
previous default), alternated with the default, on ``--speed-folder`` (default: the first half
of the first set). ``--subsets 60,300`` also scores each half as ``--subset-runs`` (10) random
subsets of each size (seeded; pairs counted over all of them): in a subset most files lack
their copies or other sizes, as in a collection where assets are missing, which the whole
halves never show. Subsets of 60 files hold few true pairs: 40 runs tell changes apart that 10
do not.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from accuracy import found_pairs, pair_scores, true_pairs

from imagededup.groups import groups_from_map
from imagededup.methods import CNN
from imagededup.models.onnx import OnnxModelSpec
from imagededup.models.registry import DEFAULT_MODEL, model_spec

Pair = tuple[str, str]


def halves(dataset: Path) -> list[tuple[str, Path]]:
    """``(label, folder)`` of each half of a built set, or of the data set itself."""
    parts = [dataset / h for h in ("tune", "report") if (dataset / h / "images").is_dir()]
    return [(f"{dataset.name}/{p.name}", p) for p in parts] or [(dataset.name, dataset)]


def grouped_pairs(duplicates: dict[str, list[str]]) -> set[Pair]:
    """Every pair of files within one group of ``duplicates``."""
    return {(a, b) for group in groups_from_map(duplicates) for a in group for b in group if a < b}


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
    precision, recall, f1 = pair_scores(truth, found)
    grouped = grouped_pairs(duplicates)
    print(f"\n### {label}: {len(rows)} images, {len(truth)} duplicate pairs, {len(found)} found")
    print("| precision | recall | F1 | groups: P / R / F1 | img/s |\n|---|---|---|---|---|")
    group_scores = " / ".join(f"{x:.4f}" for x in pair_scores(truth, grouped))
    print(f"| {precision:.4f} | {recall:.4f} | {f1:.4f} | {group_scores} | {speed:.1f} |")
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


def report_subsets(
    label: str, folder: Path, cnn: CNN, threshold: float | None, size: int, runs: int
) -> None:
    """Pair P / R / F1 over ``runs`` random subsets of ``size`` files of a half."""
    truth = true_pairs(json.loads((folder / "ground_truth.json").read_text()))
    names = sorted(path.name for path in (folder / "images").iterdir())
    found_all: set[tuple[int, Pair]] = set()
    wanted_all: set[tuple[int, Pair]] = set()  # pairs tagged by run: the runs are pooled
    for run in range(runs):
        picked = set(random.Random(run).sample(names, min(size, len(names))))
        with tempfile.TemporaryDirectory() as subset:
            for name in picked:
                (Path(subset) / name).symlink_to(folder / "images" / name)
            found = found_pairs(
                cnn.find_duplicates(image_dir=subset, min_similarity_threshold=threshold)
            )
        found_all |= {(run, pair) for pair in found}
        wanted_all |= {(run, pair) for pair in truth if pair[0] in picked and pair[1] in picked}
    scores = " | ".join(f"{x:.3f}" for x in pair_scores(wanted_all, found_all))
    print(f"| {label}, {runs} subsets of {size} | {scores} |")


def is_orig_name(transform: str) -> bool:
    return transform in ("orig", "original")


def encode_speed(spec: OnnxModelSpec, folder: Path) -> float:
    """Images per second of ``encode_matrix`` (decode and embed) with ``spec``, no cache."""
    cnn = CNN(model=spec, verbose=False)
    start = time.perf_counter()
    names, _ = cnn.encode_matrix(folder)
    return len(names) / (time.perf_counter() - start)


def compare_speed(model: str, folder: Path, against: str) -> None:
    """Encoding speed of ``model`` and of the same model with views ``against``, alternated."""
    views, size = against.split("@")
    old = replace(model_spec(model), views=tuple(map(float, views.split(","))), view_size=int(size))
    runs: dict[str, list[float]] = {"default": [], f"views {against}": []}
    for _ in range(2):
        runs["default"].append(encode_speed(model_spec(model), folder))
        runs[f"views {against}"].append(encode_speed(old, folder))
    print(f"\nencoding speed on {folder} (img/s, best of 2, alternated):")
    for label, speeds in runs.items():
        print(f"| {label} | {max(speeds):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threshold", type=float)
    parser.add_argument("--cache", type=Path)
    parser.add_argument(
        "--speed-against", help="also time encoding against these views, e.g. 25@192"
    )
    parser.add_argument("--speed-folder", type=Path, help="images to time (default: first half)")
    parser.add_argument("--subsets", help="also score random subsets of these sizes, e.g. 60,300")
    parser.add_argument("--subset-runs", type=int, default=10, help="subsets of each size")
    args = parser.parse_args()
    cnn = CNN(model=args.model, verbose=False, cache=args.cache)
    print(f"model {args.model}, threshold {args.threshold or cnn.default_threshold}")
    for dataset in args.sets:
        for label, folder in halves(dataset):
            report(label, folder, cnn, args.threshold)
    if args.subsets:
        print("\n| half, subsets | precision | recall | F1 |\n|---|---|---|---|")
        for dataset in args.sets:
            for label, folder in halves(dataset):
                for size in map(int, args.subsets.split(",")):
                    report_subsets(label, folder, cnn, args.threshold, size, args.subset_runs)
    if args.speed_against:
        folder = args.speed_folder or halves(args.sets[0])[0][1] / "images"
        compare_speed(args.model, folder, args.speed_against)


if __name__ == "__main__":
    main()
