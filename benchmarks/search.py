"""Search benchmark: exact vs approximate duplicate search on synthetic embeddings.

Usage: python benchmarks/search.py [--sizes 10000,100000,1000000] [--exact-max 100000]
                                  [--join-sizes 100000,1000000]

Vectors imitate copy-detection embeddings: 512-d unit vectors in loose clusters (look-alike
images, similarity ~0.4 inside a cluster, ~0 across) with planted near-duplicates (similarity
0.75-0.98). Each (size, method) runs in a fresh process so peak RSS is its own; "search MiB"
is the peak above the loaded vectors, what the search itself needed. Prints time, memory, recall
of the planted pairs and recall of the exact pairs (where exact search ran), then the seconds
and new pairs of joining the pairs found through shared neighbours (``search.neighbours``).
A second table times that join where it has work: images in groups of 12 copies with half of
each group's 66 pairs found, and then grouping them (``search.verify.without_chains``, which
keeps a pair only where half the pairs across the groups it joins are found: here it drops
about a third, the worst case).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

DIM = 512
THRESHOLD = 0.73
CLUSTER_SIZE = 50


def make_vectors(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` unit vectors (last tenth are planted near-duplicates) and the planted pairs."""
    rng = np.random.default_rng(seed)
    planted = count // 10
    distinct = count - planted
    centers = rng.standard_normal((max(1, distinct // CLUSTER_SIZE), DIM), dtype=np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    vectors = np.empty((count, DIM), np.float32)
    for start in range(0, distinct, 65536):
        stop = min(start + 65536, distinct)
        noise = rng.standard_normal((stop - start, DIM), dtype=np.float32) / np.sqrt(DIM)
        members = centers[rng.integers(0, len(centers), stop - start)]
        vectors[start:stop] = np.sqrt(0.4) * members + np.sqrt(0.6) * noise
    vectors[:distinct] /= np.linalg.norm(vectors[:distinct], axis=1, keepdims=True)
    originals = rng.choice(distinct, planted, replace=False)
    target = rng.uniform(0.75, 0.98, planted).astype(np.float32)
    noise = rng.standard_normal((planted, DIM), dtype=np.float32)
    noise -= (noise * vectors[originals]).sum(1, keepdims=True) * vectors[originals]
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    vectors[distinct:] = (
        target[:, None] * vectors[originals] + np.sqrt(1 - target**2)[:, None] * noise
    )
    pairs = np.stack([originals, np.arange(distinct, count)], axis=1)
    return vectors, pairs


def dataset(count: int) -> str:
    """Generate the vectors of size ``count`` once, into a temporary .npz, and return its path."""
    path = os.path.join(tempfile.gettempdir(), f"imagededup-search-bench-{count}.npz")
    if not os.path.exists(path):
        vectors, planted = make_vectors(count)
        np.savez(path, vectors=vectors, planted=planted)
    return path


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_one(count: int, method: str) -> dict:
    from imagededup.search import approximate_similar_pairs, similar_pairs
    from imagededup.search.neighbours import shared_neighbour_pairs

    with np.load(dataset(count)) as data:
        vectors, planted = data["vectors"], data["planted"]
    before = rss_mib()
    search = similar_pairs if method == "exact" else approximate_similar_pairs
    start = time.perf_counter()
    found = search(vectors, THRESHOLD)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    joined = shared_neighbour_pairs(found, count)
    join_seconds = time.perf_counter() - start
    codes = found.first.astype(np.int64) * count + found.second
    planted_codes = np.sort(planted, axis=1)
    planted_codes = planted_codes[:, 0].astype(np.int64) * count + planted_codes[:, 1]
    return {
        "seconds": seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "search_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before,
        "vectors_mib": vectors.nbytes / 2**20,
        "pairs": len(found),
        "join_seconds": join_seconds,
        "joined": len(joined),
        "planted_recall": float(np.isin(planted_codes, codes).mean()),
        "codes": codes.tolist() if count <= 100_000 else None,
    }


def run_join(count: int) -> dict:
    """Seconds, peak RSS and new pairs of ``shared_neighbour_pairs`` on grouped pairs, and
    seconds and pairs kept of ``without_chains`` (files unknown: photos)."""
    from imagededup.search.drawing import Drawings
    from imagededup.search.neighbours import shared_neighbour_pairs
    from imagededup.search.pairs import Pairs
    from imagededup.search.verify import without_chains

    rng = np.random.default_rng(0)
    first, second = np.triu_indices(12, 1)
    found = rng.random((count // 12, len(first))) < 0.5
    start = (np.arange(count // 12) * 12)[:, None]
    pairs = Pairs(
        (start + first)[found].astype(np.int64),
        (start + second)[found].astype(np.int64),
        rng.uniform(0.66, 1.0, int(found.sum())).astype(np.float32),
    )
    clock = time.perf_counter()
    joined = shared_neighbour_pairs(pairs, count)
    seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    kept = without_chains(pairs, Drawings([None] * count), np.full(len(pairs), np.inf))
    return {
        "pairs": len(pairs),
        "seconds": seconds,
        "joined": len(joined),
        "group_seconds": time.perf_counter() - clock,
        "kept": len(kept),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--exact-max", type=int, default=100_000)
    parser.add_argument("--join-sizes", default="100000,1000000")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        count, method = int(args.one[0]), args.one[1]
        print(json.dumps(run_join(count) if method == "join" else run_one(count, method)))
        return
    print(f"{os.cpu_count()} cores, threshold {THRESHOLD}, {DIM}-d vectors")
    print(
        "| N | method | seconds | peak RSS MiB | search MiB | vectors MiB | pairs"
        " | planted recall | exact recall | join seconds | joined pairs |"
    )
    print("|---" * 11 + "|")
    for count in map(int, args.sizes.split(",")):
        exact_codes = None
        for method in ("exact", "ivf"):
            if method == "exact" and count > args.exact_max:
                continue
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(count), method],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            row = json.loads(out.stdout)
            codes = set(row["codes"] or [])
            if method == "exact":
                exact_codes = codes
            recall = len(codes & exact_codes) / max(len(exact_codes), 1) if exact_codes else None
            print(
                f"| {count:,} | {method} | {row['seconds']:.1f} | {row['peak_rss_mib']:.0f} |"
                f" {row['search_mib']:.0f} | {row['vectors_mib']:.0f} | {row['pairs']:,} |"
                f" {row['planted_recall']:.4f} |"
                f" {'n/a' if recall is None else f'{recall:.4f}'} |"
                f" {row['join_seconds']:.2f} | {row['joined']:,} |",
                flush=True,
            )
    print(
        "\n| N in groups of 12 | pairs | join seconds | joined pairs | group seconds"
        " | pairs kept | peak RSS MiB |"
    )
    print("|---" * 7 + "|")
    for count in map(int, args.join_sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(count), "join"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        row = json.loads(out.stdout)
        print(
            f"| {count:,} | {row['pairs']:,} | {row['seconds']:.2f} | {row['joined']:,} |"
            f" {row['group_seconds']:.1f} | {row['kept']:,} | {row['peak_rss_mib']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
