"""What the developer-set builders share: the tuning/reporting split and the files each half gets.

A set is a folder with ``tune/`` and ``report/`` halves, each in the layout of
``benchmarks/accuracy.py``: ``images/``, ``ground_truth.json`` (imagededup's format) and
``manifest.csv`` (file, transform, group, kind). An original and all its copies, and every hard
negative of the same concept, fall in the same half: never report on what was tuned on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

HALVES = ("tune", "report")


def half_of(key: str) -> str:
    """``"tune"`` or ``"report"``, from a stable hash of a concept's id (same on every machine)."""
    return HALVES[hashlib.sha256(key.encode()).digest()[0] % 2]


def unpack_deb(package: str, cache: Path) -> Path:
    """``apt-get download`` ``package`` into ``cache/debs`` and unpack it under ``cache/x``."""
    target = cache / "x" / package
    if target.is_dir():
        return target
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{package}_*.deb")):
        subprocess.run(["apt-get", "download", package], cwd=debs, check=True)
    deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
    partial = target.parent / f"{package}.tmp"
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted run
    partial.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(partial)], check=True)
    partial.rename(target)
    return target


def unpack_npm(spec: str, cache: Path) -> Path:
    """``npm pack`` ``spec`` (``name@version``) into ``cache/npm`` and unpack it; returns its
    ``package`` folder."""
    folder = cache / "npm" / spec.split("@")[0]
    if not folder.is_dir():
        (cache / "npm").mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            ["npm", "pack", spec], cwd=cache / "npm", check=True, capture_output=True, text=True
        )
        partial = folder.parent / f"{folder.name}.tmp"
        shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted run
        with tarfile.open(cache / "npm" / out.stdout.strip().splitlines()[-1]) as archive:
            archive.extractall(partial, filter="data")
        partial.rename(folder)
    return folder / "package"


@dataclass
class SetWriter:
    """Collects files into the halves of a set and writes their ground truth and manifests."""

    root: Path
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {h: [] for h in HALVES})

    def images(self, half: str) -> Path:
        folder = self.root / half / "images"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def add(self, half: str, file: str, transform: str, group: str, kind: str) -> None:
        """Record ``file`` (already written under ``images(half)``) as a member of ``group``."""
        self.rows[half].append({"file": file, "transform": transform, "group": group, "kind": kind})

    def write(self) -> None:
        """Ground truth (every file -> the other files of its group) and manifest of each half."""
        for half, rows in self.rows.items():
            members: dict[str, list[str]] = {}
            for row in rows:
                members.setdefault(row["group"], []).append(row["file"])
            truth = {
                row["file"]: sorted(set(members[row["group"]]) - {row["file"]}) for row in rows
            }
            folder = self.root / half
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "ground_truth.json").write_text(json.dumps(truth, indent=1))
            with (folder / "manifest.csv").open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=["file", "transform", "group", "kind"])
                writer.writeheader()
                writer.writerows(sorted(rows, key=lambda row: row["file"]))
            pairs = sum(len(v) for v in truth.values()) // 2
            print(f"{folder}: {len(rows)} images, {len(members)} groups, {pairs} duplicate pairs")
