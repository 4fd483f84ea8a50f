"""Build imagededup's published benchmark protocol from a folder of original photos.

Usage: python benchmarks/protocol.py ORIGINALS_DIR TARGET_DIR [--seed N]

Each original gets five copies: a crop (70-90% of each side), a horizontal flip, a vertical flip,
a 25-degree rotation (same canvas, black corners) and a resize to a square (the longer side
squashed to the shorter). Writes TARGET/images/*.jpg, TARGET/ground_truth.json (imagededup's
format) and TARGET/manifest.csv (file, transform), the inputs of benchmarks/accuracy.py.
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


def crop(im: Image.Image, rng: random.Random) -> Image.Image:
    w, h = round(im.width * rng.uniform(0.7, 0.9)), round(im.height * rng.uniform(0.7, 0.9))
    x, y = rng.randint(0, im.width - w), rng.randint(0, im.height - h)
    return im.crop((x, y, x + w, y + h))


TRANSFORMS = {
    "crop": crop,
    "hflip": lambda im, rng: ImageOps.mirror(im),
    "vflip": lambda im, rng: ImageOps.flip(im),
    "rotate25": lambda im, rng: im.rotate(25, resample=Image.Resampling.BILINEAR),
    "square": lambda im, rng: im.resize((min(im.size),) * 2, Image.Resampling.LANCZOS),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("originals", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = args.target / "images"
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, list[str]] = {}
    rows = []
    for path in list_images(args.originals).paths:
        rng = random.Random(f"{args.seed}:{path.name}")
        im = Image.fromarray(load_image(path))
        group = {f"{path.stem}__orig.jpg": im}
        group |= {f"{path.stem}__{t}.jpg": f(im, rng) for t, f in TRANSFORMS.items()}
        for name, copy in group.items():
            copy.save(out / name, quality=90)
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
