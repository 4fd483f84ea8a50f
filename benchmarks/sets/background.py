"""Build the shipped background of the normalisation: vectors of look-alike images from packages.

Usage: python benchmarks/sets/background.py [--cache /tmp/i16] [--exclude MANIFEST ...]
                                           [--stamps 600]

A collection of a few images has too few neighbours to tell look-alikes (star fields,
textures, cut-outs on white) from copies; ``search.copies`` then also counts each image's
neighbours among these vectors. Sources: stellarium-data's nebula and galaxy photos and
tuxpaint-stamps-default's photo stamps (Debian, ``apt-get download``), minus every file an
evaluation set uses: pass the ``manifest.csv`` of the dev set and of the ``photos`` halves to
``--exclude`` (files named in ``path_in_package``, or as a set's ``group``). Each image's own
vector (no view) of ``sscd_distilled`` is written as float16 to
``src/imagededup/models/background/sscd_distilled.npy``; its models of the same weights share it.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
from pathlib import Path

import numpy as np
from common import unpack_deb

from imagededup.methods import CNN
from imagededup.models.registry import BACKGROUNDS

NEBULAE = "usr/share/stellarium/nebulae/default"


def excluded(manifests: list[Path]) -> set[str]:
    """File stems that an evaluation set uses."""
    stems: set[str] = set()
    for manifest in manifests:
        with manifest.open() as handle:
            for row in csv.DictReader(handle):
                if row.get("path_in_package"):
                    stems.add(Path(row["path_in_package"]).stem)
                if row.get("group"):
                    stems.add(row["group"].split("-", 1)[-1])
    return stems


def sources(cache: Path, skip: set[str], stamps: int) -> list[Path]:
    nebulae = unpack_deb("stellarium-data", cache) / NEBULAE
    found = [p for p in sorted(nebulae.iterdir()) if p.suffix in (".png", ".jpg")]
    cutouts = sorted((unpack_deb("tuxpaint-stamps-default", cache)).rglob("*.png"))
    return [p for p in found if p.stem not in skip] + [p for p in cutouts if p.stem not in skip][
        :stamps
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/i16"))
    parser.add_argument("--exclude", type=Path, nargs="*", default=[])
    parser.add_argument("--stamps", type=int, default=600)
    args = parser.parse_args()
    files = sources(args.cache, excluded(args.exclude), args.stamps)
    cnn = CNN(model="sscd_distilled", verbose=False)
    with tempfile.TemporaryDirectory() as folder:
        for number, path in enumerate(files):
            shutil.copyfile(path, Path(folder) / f"{number:05d}{path.suffix}")
        _, vectors = cnn.encode_matrix(folder)
    own = vectors[:, : vectors.shape[1] // cnn.encoder.view_count].astype(np.float32)
    own /= np.linalg.norm(own, axis=1, keepdims=True)
    BACKGROUNDS.mkdir(parents=True, exist_ok=True)
    np.save(BACKGROUNDS / "sscd_distilled.npy", own.astype(np.float16))
    print(f"{len(own)} background vectors from {len(files)} files -> {BACKGROUNDS}")


if __name__ == "__main__":
    main()
