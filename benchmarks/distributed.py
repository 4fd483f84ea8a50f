"""Throughput of the Ray path against the single-process path, on the same folder and machine.

Usage: python benchmarks/distributed.py [DIR] [--rounds N] [--workers N] [--batch-size B]

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
import logging
import os
import tempfile
import time
from pathlib import Path

import ray

from imagededup.distributed import encode_dataset, find_duplicates_from_parquet
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
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

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


if __name__ == "__main__":
    main()
