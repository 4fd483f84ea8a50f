"""Throughput of the Ray path against the single-process path, on the same folder and machine.

Usage: python benchmarks/distributed.py [DIR] [--rounds N] [--workers N] [--batch-size B]
       python benchmarks/distributed.py --search 100000,1000000 [--workers 2]

``--search``: the duplicate search alone, on synthetic vectors (``benchmarks/search.py``'s: 512-d,
loose clusters, a tenth planted near-copies at 0.75-0.98, threshold 0.73) written as shards:
``find_duplicates_from_parquet(approximate=True)`` (one process, IVF) against
``find_duplicates_on_ray`` on a local Ray instance of ``--workers`` CPUs, each in a fresh process
(peak RSS is its own). Prints time, memory per process, recall of the planted pairs and of the
one-process pairs, and the per-list costs that the 100,000,000-image estimate scales up.

DIR defaults to /tmp/devset/images (the dev set of shared/data/build_dev_set.py). Each round
times, wall clock, ``CNN().encode_images`` (one process: decoding threads and one onnxruntime
session on all cores) and then ``encode_dataset`` into a fresh folder on a local Ray instance
(Ray Data, one actor per core); rounds alternate so that both see the same changes in the load
of a shared machine, and the table shows the best round of each. Also timed once: starting
Ray, a second ``encode_dataset`` that finds everything done (the resume check alone),
``find_duplicates_from_parquet`` (load shards + search) against ``find_duplicates`` on the
vectors in memory. Checks both paths give the same duplicate map.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import ray
from search import THRESHOLD, make_vectors

from imagededup.distributed import (
    encode_dataset,
    find_duplicates_from_parquet,
    find_duplicates_on_ray,
    read_pairs,
    shards,
)
from imagededup.distributed.cluster import connect
from imagededup.methods import CNN


def timed(action):
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("/tmp/devset/images"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, help="encoder actors (default: one per core)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--search", metavar="SIZES", help="benchmark the search (see above)")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.one:
        print(json.dumps(search_once(Path(args.one[0]), args.one[1], int(args.one[2]))))
        return
    if args.search:
        search_table([int(size) for size in args.search.split(",")], args.workers or 2)
        return

    cnn = CNN(verbose=False, batch_size=args.batch_size)
    _, startup = timed(connect)

    def ray_encode(output_dir: str):
        return encode_dataset(
            args.folder, output_dir, num_workers=args.workers, batch_size=args.batch_size
        )

    single_runs, ray_runs = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            encodings, seconds = timed(lambda: cnn.encode_images(args.folder, recursive=True))
            single_runs.append(seconds)
            output_dir = os.path.join(scratch, f"round{round_}")
            result, seconds = timed(lambda: ray_encode(output_dir))  # noqa: B023
            ray_runs.append(seconds)
            assert result.encoded == len(encodings), result
        again, resume = timed(lambda: ray_encode(output_dir))
        assert again.encoded == 0 and again.reused == len(encodings), again
        single_map, single_search = timed(lambda: cnn.find_duplicates(encoding_map=encodings))
        ray_map, ray_search = timed(
            lambda: find_duplicates_from_parquet(output_dir, root=args.folder)
        )
    ray.shutdown()

    images = len(encodings)
    single = min(single_runs)
    rows = [
        ("single process: encode_images", single),
        ("Ray: encode_dataset (local instance already up)", min(ray_runs)),
        ("Ray: start local instance (once per process)", startup),
        ("Ray: encode_dataset again, all done (resume check)", resume),
        ("single process: find_duplicates(encoding_map)", single_search),
        ("Ray: find_duplicates_from_parquet (read + search)", ray_search),
    ]
    print(f"{images} images in {args.folder}, {os.cpu_count()} cores, batch {args.batch_size}")
    print(f"best of {args.rounds} rounds for the encodes; images/s, higher is better")
    print("| step | seconds | images/s | single-process encode time / this |")
    print("| --- | --- | --- | --- |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {images / seconds:.0f} | {single / seconds:.2f}x |")
    print("all rounds, seconds: single", [round(s, 1) for s in single_runs],
          "Ray", [round(s, 1) for s in ray_runs])  # fmt: skip
    print(f"same duplicate map from both paths: {ray_map == single_map}")


def search_once(folder: Path, method: str, workers: int) -> dict:
    """One search of the shards in ``folder`` in this process: its pairs, time and memory."""
    start = time.perf_counter()
    row: dict = {}
    if method == "ray":
        ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.ERROR)
        start = time.perf_counter()
        summary = find_duplicates_on_ray(folder, folder / "pairs", num_workers=workers)
        row = asdict(summary)
        first, second, _ = read_pairs(folder / "pairs")
    else:
        found = find_duplicates_from_parquet(folder, approximate=True)
        first, second = zip(
            *((a, b) for a, dups in found.items() for b in dups if a < b), strict=True
        )
    row["seconds"] = time.perf_counter() - start
    row["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row["pairs"] = sorted(f"{a} {b}" for a, b in zip(first, second, strict=True))
    return row


def search_table(sizes: list[int], workers: int) -> None:
    """Print the one-process IVF against the Ray search at each size, then the per-list costs."""
    print(f"{os.cpu_count()} cores, local Ray of {workers} CPUs, threshold {THRESHOLD}, 512-d")
    print("| N | search | seconds | peak RSS MiB per process | vectors MiB | pairs"
          " | planted recall | recall of one-process pairs |")  # fmt: skip
    print("|---" * 8 + "|")
    costs = []
    for count in sizes:
        vectors, planted = make_vectors(count)
        names = [f"/synthetic/{i:08d}.jpg" for i in range(count)]
        planted_pairs = {f"{names[a]} {names[b]}" for a, b in np.sort(planted, axis=1)}
        with tempfile.TemporaryDirectory(prefix="imagededup-bench-") as scratch:
            folder = Path(scratch) / "vectors"
            shards.write_vectors(folder, names, vectors, "synthetic", THRESHOLD)
            del vectors
            rows = {}
            for method in ("ivf", "ray"):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", str(folder), method, str(workers)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                rows[method] = json.loads(out.stdout.splitlines()[-1])
        single = set(rows["ivf"]["pairs"])
        for method, row in rows.items():
            found = set(row["pairs"])
            memory = f"{row['peak_rss_mib']:.0f}"
            if method == "ray":
                memory += (
                    f" driver; worker {row['worker_peak_mib']:.0f} peak,"
                    f" {row['task_mib']:.0f} for one list"
                )
                costs.append((count, row))
            print(
                f"| {count:,} | {'one-process IVF' if method == 'ivf' else 'Ray'} |"
                f" {row['seconds']:.0f} | {memory} | {count * 512 * 4 / 2**20:.0f} |"
                f" {len(found):,} | {len(found & planted_pairs) / len(planted_pairs):.4f} |"
                f" {len(found & single) / max(len(single), 1):.4f} |",
                flush=True,
            )
    print("\n| N | lists | rows sent (per file) | search core-s | core-s per 1M rows sent |")
    print("|---" * 5 + "|")
    for count, row in costs:
        per_row = row["search_seconds"] / row["rows_sent"] * 1e6
        print(
            f"| {count:,} | {row['lists']} | {row['rows_sent']:,}"
            f" ({row['rows_sent'] / count:.1f}) | {row['search_seconds']:.0f} | {per_row:.0f} |"
        )


if __name__ == "__main__":
    main()
