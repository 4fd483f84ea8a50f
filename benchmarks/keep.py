"""Which copy each keep policy keeps in the dev set's groups (an original and its 9 edits).

    python benchmarks/keep.py [DEV_SET] [--upscales DIR] [--seed N]

DEV_SET (default ``/tmp/devset``) holds ``images/`` and ``manifest.csv`` (the source and the
transform of every file). Each group is ranked as a whole, in a shuffled order, under names that
carry nothing (``copy-3.jpg``), so that no policy can lean on the dev set's file names. ``best``
runs twice: with the files' dates (the dev set writes each original before its edits, so the
oldest copy is the original) and with every date equal. With ``--upscales DIR``, a 2x bicubic
upscale of each group's half-size copy (JPEG quality 95) is written into DIR and added to the
group. A keep counts as good when the kept file is the original or an edit of equal quality:
the mirror image, a brightness change or a caption.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image

from imagededup.groups import keep_group
from imagededup.images.info import FileInfo
from imagededup.keep import Content, measure

GOOD = ("orig", "flip", "bright", "text")
KINDS = ("orig", "flip", "bright", "text", "jpeg", "resize", "crop", "rotate", "gray", "border")
RUNS = {  # column -> (policy, whether the files' dates are seen)
    "best": ("best", True),
    "best, dates hidden": ("best", False),
    "largest-resolution": ("largest-resolution", True),
    "largest-file": ("largest-file", True),
}


def upscale(half: Path, size: tuple[int, int], out: Path) -> Path:
    """A 2x bicubic upscale of the half-size copy, as an editor would save it."""
    if not out.exists():
        with Image.open(half) as image:
            image.convert("RGB").resize(size, Image.Resampling.BICUBIC).save(out, quality=95)
    return out


def load_groups(dev_set: Path, upscales: Path | None) -> dict[str, dict[str, Path]]:
    """Source -> {kind: path} from the manifest, with an ``upscale`` kind when asked."""
    groups: dict[str, dict[str, Path]] = defaultdict(dict)
    sizes = {}
    with (dev_set / "manifest.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            groups[row["source"]][row["transform"]] = dev_set / "images" / row["file"]
            if row["transform"] == "orig":
                sizes[row["source"]] = (int(row["width"]), int(row["height"]))
    if upscales is not None:
        upscales.mkdir(parents=True, exist_ok=True)
        for source, files in groups.items():
            out = upscales / f"{source}__upscale.jpg"
            files["upscale"] = upscale(files["resize"], sizes[source], out)
    return dict(groups)


def facts(path: Path, dates: bool) -> FileInfo:
    with Image.open(path) as image:
        width, height = image.size
    stat = path.stat()
    return FileInfo(stat.st_size, stat.st_mtime if dates else 0.0, width, height)


def timed_measure(path: Path) -> tuple[Content, float]:
    """``measure`` and the CPU seconds it took (wall time means little on a shared machine)."""
    start = time.process_time()
    content = measure(path)
    return content, time.process_time() - start


def kept_kinds(
    groups: dict[str, dict[str, Path]], measured: dict[Path, Content], seed: int, kinds: set[str]
) -> dict[str, Counter]:
    """Column -> Counter of the kind of file kept in each group, among its files of ``kinds``."""
    counts: dict[str, Counter] = {column: Counter() for column in RUNS}
    for source in sorted(groups):
        kinds_here = sorted(kind for kind in groups[source] if kind in kinds)
        random.Random(f"{seed}:{source}").shuffle(kinds_here)
        names = [f"copy-{k}.jpg" for k in range(len(kinds_here))]
        path_of = dict(zip(names, (groups[source][kind] for kind in kinds_here), strict=True))
        for column, (policy, dates) in RUNS.items():
            info = {name: facts(path, dates) for name, path in path_of.items()}
            content = {name: measured[path] for name, path in path_of.items()}
            group = keep_group(names, policy, info.__getitem__, content=content.__getitem__)
            counts[column][kinds_here[names.index(group.keep[0])]] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev_set", nargs="?", default="/tmp/devset", type=Path)
    parser.add_argument("--upscales", type=Path, help="add a 2x upscale to every group")
    parser.add_argument("--seed", type=int, default=0, help="seed of the input orders")
    args = parser.parse_args()
    groups = load_groups(args.dev_set, args.upscales)
    paths = sorted({path for files in groups.values() for path in files.values()})
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        timed = dict(zip(paths, pool.map(timed_measure, paths, chunksize=16), strict=True))
    measured = {path: content for path, (content, _) in timed.items()}
    seconds = sorted(cpu for _, cpu in timed.values())
    tables = [("the dev set", set(KINDS))]
    if args.upscales:
        tables.append(("the dev set with a 2x upscale of the half-size copy", {*KINDS, "upscale"}))
    for title, kinds in tables:
        print_table(title, kept_kinds(groups, measured, args.seed, kinds), len(groups), kinds)
    print(
        f"{len(groups)} groups, {len(paths)} files measured; CPU time of measure() a file:"
        f" median {1000 * seconds[len(seconds) // 2]:.0f} ms,"
        f" 95th percentile {1000 * seconds[len(seconds) * 95 // 100]:.0f} ms"
    )


def print_table(title: str, counts: dict[str, Counter], total: int, kinds: set[str]) -> None:
    print(f"Kept kind per group, {title}:\n")
    print(f"| kept kind | {' | '.join(RUNS)} |")
    print(f"| --- |{' ---: |' * len(RUNS)}")
    for kind in [k for k in (*KINDS, "upscale") if k in kinds]:
        cells = [f"{counts[c][kind]} ({counts[c][kind] / total:.1%})" for c in RUNS]
        print(f"| {kind}{' (good)' if kind in GOOD else ''} | {' | '.join(cells)} |")
    good = [sum(counts[c][k] for k in GOOD) for c in RUNS]
    print(f"| **good** | {' | '.join(f'**{n / total:.1%}**' for n in good)} |\n")


if __name__ == "__main__":
    main()
