"""Build the *formats* developer set: a built graphics set with copies of one size in other formats.

Usage: python benchmarks/sets/formats.py SOURCE TARGET [--per-half 200] [--seed 0]

Each half of SOURCE (a set built by benchmarks/sets/graphics.py) is copied whole, and a seeded
sample of ``--per-half`` of its files is re-saved by Pillow at its own size as GIF (255
colours and one transparent), lossy WebP at quality 80 and 50, a PNG cut to 32 colours,
and a JPEG on white (quality 90): the same asset in another format, which a user's folder of
icons holds and the size-only graphics set never does. Each copy joins its source file's group
(so it is also a duplicate of the file's other sizes); every other file stays a hard negative.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import HALVES, SetWriter
from PIL import Image


def _gif(image: Image.Image, path: Path) -> None:
    """255 colours and one transparent, where alpha is under half (as GIMP and ImageMagick
    write it; Pillow's own RGBA-to-GIF often flattens the icon on black)."""
    palette = image.convert("RGB").quantize(255, method=Image.Quantize.MEDIANCUT)
    indices = np.asarray(palette).copy()
    indices[np.asarray(image.getchannel("A")) < 128] = 255
    out = Image.fromarray(indices, "P")
    out.putpalette(palette.getpalette())
    out.save(path.with_suffix(".gif"), transparency=255)


def _webp(quality: int) -> Callable[[Image.Image, Path], None]:
    def save(image: Image.Image, path: Path) -> None:
        image.save(path.with_suffix(".webp"), quality=quality)

    return save


def _palette(image: Image.Image, path: Path) -> None:
    image.quantize(32, method=Image.Quantize.FASTOCTREE).save(path.with_suffix(".png"))


def _jpeg(image: Image.Image, path: Path) -> None:
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    white.alpha_composite(image)
    white.convert("RGB").save(path.with_suffix(".jpg"), quality=90)


FORMATS: dict[str, Callable[[Image.Image, Path], None]] = {
    "gif": _gif,
    "webp80": _webp(80),
    "webp50": _webp(50),
    "pal32": _palette,
    "jpg90": _jpeg,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--per-half", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default=",".join(FORMATS), help="which copies to write")
    args = parser.parse_args()
    writer = SetWriter(args.target)
    for half in HALVES:
        with (args.source / half / "manifest.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        images = writer.images(half)
        for row in rows:
            shutil.copy2(args.source / half / "images" / row["file"], images / row["file"])
            writer.add(half, row["file"], row["transform"], row["group"], row["kind"])
        for row in random.Random(f"{args.seed}:{half}").sample(rows, args.per_half):
            with Image.open(args.source / half / "images" / row["file"]) as opened:
                image = opened.convert("RGBA")
            stem = Path(row["file"]).stem
            for name in args.formats.split(","):
                target = images / f"{stem}__{name}"
                FORMATS[name](image, target)
                file = next(images.glob(f"{target.name}.*")).name
                writer.add(half, file, name, row["group"], row["kind"])
    writer.write()


if __name__ == "__main__":
    main()
