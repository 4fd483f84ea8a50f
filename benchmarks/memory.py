"""Peak memory and time of ``find_duplicates`` on a large folder, end to end, in a fresh process.

Usage: python benchmarks/memory.py SOURCE_DIR [SOURCE_DIR ...] --count 100000 [--work DIR]

Builds a folder of ``--count`` hard links cycling over the images found in the sources (so the
disk holds them once), then runs ``CNN().find_duplicates(image_dir=...)`` in a child process and
prints its peak RSS (ru_maxrss), wall time and the size of the result.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, json
from imagededup.methods import CNN
cnn = CNN(verbose=False)
result = cnn.find_duplicates(image_dir=sys.argv[1])
pairs = sum(len(v) for v in result.values()) // 2
print(json.dumps({"files": len(result), "pairs": pairs, "skipped": len(cnn.skipped)}))
"""


def link_farm(sources: list[Path], count: int, work: Path) -> Path:
    """``work/links`` holding ``count`` hard links to the source images (made once)."""
    from imagededup.images.discover import list_images

    target = work / f"links-{count}"
    if target.exists() and len(os.listdir(target)) == count:
        return target
    target.mkdir(parents=True, exist_ok=True)
    images = [p for s in sources for p in list_images(s, recursive=True).paths]
    for k, source in zip(range(count), itertools.cycle(images), strict=False):
        link = target / f"{k:07d}{source.suffix.lower()}"
        if not link.exists():
            os.link(source, link)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "imagededup-mem")
    args = parser.parse_args()
    folder = link_farm(args.sources, args.count, args.work)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(out.stderr[-2000:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{os.cpu_count()} cores")
    print("| files | seconds | images/s | peak RSS MiB | result |")
    print("|---|---|---|---|---|")
    rate = args.count / seconds
    print(f"| {args.count:,} | {seconds:.0f} | {rate:.0f} | {peak:.0f} | {out.stdout.strip()} |")


if __name__ == "__main__":
    main()
