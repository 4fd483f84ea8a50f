"""Build imagededup's published benchmark protocol from a folder of original photos.

Usage: python benchmarks/protocol.py ORIGINALS_DIR TARGET_DIR [--seed N] [--wide] [--glob PATTERN]

Each original gets five copies: a crop (70-90% of each side), a horizontal flip, a vertical flip,
a 25-degree rotation (same canvas, black corners) and a resize to a square (the longer side
squashed to the shorter), all saved at JPEG quality 90. ``--wide``: the same protocol with other
parameters, as reviewers hold out: crops of 60-90%, rotations of 3-25 degrees either way with the
canvas expanded, squares of 50-100% of the shorter side, JPEG quality 85-95. ``--glob``: only
the files of ORIGINALS_DIR matching it are originals (e.g. ``'*__orig.jpg'`` of a set). Writes
TARGET/images/*.jpg, TARGET/ground_truth.json (imagededup's format) and TARGET/manifest.csv
(file, transform), the inputs of benchmarks/accuracy.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

from PIL import Image, ImageOps

from imagededup.images.decode import load_image
from imagededup.images.discover import list_images


def crop(im: Image.Image, rng: random.Random, low: float = 0.7) -> Image.Image:
    w, h = round(im.width * rng.uniform(low, 0.9)), round(im.height * rng.uniform(low, 0.9))
    x, y = rng.randint(0, im.width - w), rng.randint(0, im.height - h)
    return im.crop((x, y, x + w, y + h))


def square(im: Image.Image, rng: random.Random, low: float = 1.0) -> Image.Image:
    side = max(16, round(min(im.size) * rng.uniform(low, 1.0)))
    return im.resize((side, side), Image.Resampling.LANCZOS)


TRANSFORMS = {
    "crop": crop,
    "hflip": lambda im, rng: ImageOps.mirror(im),
    "vflip": lambda im, rng: ImageOps.flip(im),
    "rotate25": lambda im, rng: im.rotate(25, resample=Image.Resampling.BILINEAR),
    "square": square,
}
WIDE = {
    "crop": lambda im, rng: crop(im, rng, 0.6),
    "hflip": TRANSFORMS["hflip"],
    "vflip": TRANSFORMS["vflip"],
    "rotate": lambda im, rng: im.rotate(
        rng.choice((-1, 1)) * rng.uniform(3, 25), Image.Resampling.BILINEAR, expand=True
    ),
    "square": lambda im, rng: square(im, rng, 0.5),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("originals", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--wide", action="store_true", help="the held-out protocol's parameters")
    parser.add_argument("--glob", help="only these files of ORIGINALS_DIR are originals")
    args = parser.parse_args()
    transforms = WIDE if args.wide else TRANSFORMS
    out = args.target / "images"
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, list[str]] = {}
    rows = []
    paths = list_images(args.originals).paths
    if args.glob:
        paths = [path for path in paths if path.match(args.glob)]
    for path in paths:
        rng = random.Random(f"{args.seed}:{path.name}")
        im = Image.fromarray(load_image(path))
        group = {f"{path.stem}__orig.jpg": im}
        group |= {f"{path.stem}__{t}.jpg": f(im, rng) for t, f in transforms.items()}
        for name, copy in group.items():
            copy.save(out / name, quality=rng.randint(85, 95) if args.wide else 90)
            truth[name] = sorted(set(group) - {name})
            rows.append({"file": name, "transform": name.rsplit("__", 1)[1][:-4]})
    (args.target / "ground_truth.json").write_text(json.dumps(truth, indent=1))
    with (args.target / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "transform"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(truth)} images in {out}")


if __name__ == "__main__":
    main()
