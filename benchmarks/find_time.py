"""Where ``CNN.find_duplicates`` spends its time: encoding, then search and checks, per version.

Usage: python benchmarks/find_time.py FOLDER [--against OTHER_SRC] [--rounds 2]

Each run is a fresh process: ``encode_images(FOLDER)`` (decode and embed, no cache), then
``find_duplicates(encoding_map=...)`` (search, normalisation, pixel checks, shared neighbours).
With ``--against`` (the ``src`` folder of another checkout, e.g. a ``git worktree`` of the
previous commit) the two versions alternate, so a shared machine slows both alike. Prints the
best wall-clock and CPU seconds of each part and the pairs found.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

RUN = r"""
import json, resource, sys, time
from imagededup.methods import CNN

def clock():
    use = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), use.ru_utime + use.ru_stime

cnn = CNN(verbose=False)
wall0, cpu0 = clock()
encodings = cnn.encode_images(sys.argv[1])
wall1, cpu1 = clock()
found = cnn.find_duplicates(encoding_map=encodings)
wall2, cpu2 = clock()
print(json.dumps({"encode": [wall1 - wall0, cpu1 - cpu0], "search": [wall2 - wall1, cpu2 - cpu1],
                  "pairs": sum(map(len, found.values())) // 2}))
"""


def run(folder: Path, src: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-c", RUN, str(folder)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--against", type=Path, help="src folder of another version")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    versions = {"this checkout": Path(__file__).resolve().parents[1] / "src"}
    if args.against:
        versions[f"--against {args.against}"] = args.against
    runs: dict[str, list[dict]] = {label: [] for label in versions}
    for _ in range(args.rounds):
        for label, src in versions.items():
            runs[label].append(run(args.folder, src))
    print(f"{args.folder}: best of {args.rounds}, alternated")
    print("| version | encode s | encode CPU s | search + checks s | search CPU s | pairs |")
    print("|---|---|---|---|---|---|")
    for label, rows in runs.items():
        best = {part: min(row[part][0] for row in rows) for part in ("encode", "search")}
        cpu = {part: min(row[part][1] for row in rows) for part in ("encode", "search")}
        print(
            f"| {label} | {best['encode']:.1f} | {cpu['encode']:.1f} | {best['search']:.2f} |"
            f" {cpu['search']:.2f} | {rows[0]['pairs']} |"
        )


if __name__ == "__main__":
    main()
