"""New images against a saved reference collection (``Index.search``), with and without the
pixel checks of its matches.

Usage: python benchmarks/against.py SET [SET ...] [--cache FILE]

Each half of each SET (as for ``generalisation.py``) is split by a stable hash of the file
name: about half the files become the reference ``Index``, the rest are searched against it at
the model's default threshold. Prints pair precision, recall and F1 over the true pairs
between a query and a reference file, *checked* (the index knows its files, as built from a
folder or from vectors encoded in this process) and *unchecked* (the same index without its
files, as one saved before 2026-12-02).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from accuracy import pair_scores, true_pairs
from generalisation import halves

from imagededup.index import Index
from imagededup.methods import CNN


def is_reference(name: str) -> bool:
    return hashlib.sha256(name.encode()).digest()[0] % 2 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, help="SQLite file of vectors (CNN(cache=...))")
    args = parser.parse_args()
    cnn = CNN(verbose=False, cache=args.cache)
    print("| half | references | queries | checked: P / R / F1 | unchecked: P / R / F1 |")
    print("| --- | --- | --- | --- | --- |")
    for dataset in args.sets:
        for label, folder in halves(dataset):
            truth = json.loads((folder / "ground_truth.json").read_text())
            encodings = cnn.encode_images(folder / "images")
            reference = {n: v for n, v in encodings.items() if is_reference(n)}
            queries = {n: v for n, v in encodings.items() if not is_reference(n)}
            wanted = {
                (q, r) for a, b in true_pairs(truth) for q, r in ((a, b), (b, a))
                if q in queries and r in reference
            }  # fmt: skip
            index = Index(cnn).add(encoding_map=reference)
            rows = []
            for paths in (index.paths, [None] * len(index)):
                index.paths = paths
                found = index.search(encoding_map=queries)
                pairs = {(q, r) for q, refs in found.items() for r in refs}
                rows.append(" / ".join(f"{v:.3f}" for v in pair_scores(wanted, pairs)))
            print(f"| {label} | {len(reference)} | {len(queries)} | {rows[0]} | {rows[1]} |")


if __name__ == "__main__":
    main()
