"""Hashing + search speed on a real image folder: this library's PHash against its peers.

    python benchmarks/hashing.py [IMAGE_DIR] [--peer-python PYTHON] [--repeat N]

Times, in one run and interleaved (so that a busy machine slows everyone alike), the end-to-end
pHash duplicate search of IMAGE_DIR (default ``/tmp/devset/images``) at threshold 10:

- this library: ``PHash().find_duplicates(image_dir=...)``, with the default decoding and with
  ``draft_size=None`` (every file decoded at full size) and ``draft_size=32`` (JPEGs drafted down
  to 64 px);
- imagededup 0.3.3 (``encode_images`` + ``find_duplicates``) and imagehash (a process pool, then
  NumPy all-pairs popcounts), each run by PEER_PYTHON in its own venv (see ``peers/``).

Each tool's best of ``--repeat`` runs is reported (the folder is read once first, so every run
finds it in the page cache). Then the Hamming search alone is timed on 100,000 random hashes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from imagededup.methods import PHash
from imagededup.search.hamming import hamming_pairs

PEERS = Path(__file__).resolve().parent / "peers"
THRESHOLD = 10


def ours(image_dir: Path, draft_size: int | None) -> dict:
    phash = PHash(verbose=False, draft_size=draft_size)
    start = time.perf_counter()
    encodings = phash.encode_images(image_dir)
    encoded = time.perf_counter()
    phash.find_duplicates(encoding_map=encodings, max_distance_threshold=THRESHOLD)
    end = time.perf_counter()
    return {"images": len(encodings), "encode_s": encoded - start, "search_s": end - encoded}


def peer(python: str, script: str, *args: str) -> dict:
    command = [python, str(PEERS / script), *args]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def search_only(count: int = 100_000, bits: int = 64) -> tuple[float, int]:
    """Seconds to find all pairs within THRESHOLD among ``count`` random hashes, half of them
    near copies of the other half."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (count, bits // 8), dtype=np.uint8)
    codes[count // 2 :] = codes[: count // 2] ^ (rng.random((count // 2, bits // 8)) < 0.05)
    start = time.perf_counter()
    found = hamming_pairs(codes, THRESHOLD)
    return time.perf_counter() - start, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image_dir", nargs="?", default="/tmp/devset/images", type=Path)
    parser.add_argument("--peer-python", default="/tmp/venv-idd033/bin/python")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    folder = str(args.image_dir)
    for path in args.image_dir.iterdir():  # warm the page cache for everyone
        path.read_bytes()
    contenders = {
        "this library, PHash()": lambda: ours(args.image_dir, PHash().draft_size),
        "this library, PHash(draft_size=None)": lambda: ours(args.image_dir, None),
        "this library, PHash(draft_size=32)": lambda: ours(args.image_dir, 32),
        "imagededup 0.3.3 PHash": lambda: peer(
            args.peer_python, "imagededup033.py", "bench", folder
        ),
        "imagehash 4.3 phash + NumPy": lambda: peer(args.peer_python, "imagehash_phash.py", folder),
    }
    best: dict[str, dict] = {}
    for _ in range(args.repeat):
        for name, run in contenders.items():
            result = run()
            result["total_s"] = result["encode_s"] + result["search_s"]
            if name not in best or result["total_s"] < best[name]["total_s"]:
                best[name] = result
    reference = best["imagededup 0.3.3 PHash"]
    reference_rate = reference["images"] / reference["total_s"]
    print(f"{args.image_dir}: best of {args.repeat}, threshold {THRESHOLD}\n")
    print("| tool | images | hash s | search s | total s | images/s | vs 0.3.3 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in best.items():
        rate = r["images"] / r["total_s"]
        print(
            f"| {name} | {r['images']} | {r['encode_s']:.2f} | {r['search_s']:.2f} |"
            f" {r['total_s']:.2f} | {rate:.0f} | {rate / reference_rate:.2f}x |"
        )
    seconds, found = search_only()
    print(f"\nHamming search alone, 100,000 random 64-bit hashes: {seconds:.2f} s ({found} pairs)")


if __name__ == "__main__":
    sys.exit(main())
