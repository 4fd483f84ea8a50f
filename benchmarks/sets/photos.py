"""Build the *photos* developer set: strong crops, any rotation, flips, aspect changes, compounds.

Usage: python benchmarks/sets/photos.py TARGET [--devset /tmp/devset] [--cache /tmp/i16]
                                        [--dev-originals 160] [--nebulae 60]

Originals: a deterministic sample of the dev set's originals (transform ``orig`` in its
manifest.csv) and photos from packages the dev set does not use: OpenCV's example photos
(``opencv-doc``) and stellarium-data nebula photos the dev set did not pick. Package photos that
are near-copies of another original (pHash distance <= 10) are dropped. Each original, at most
800 px, gets 11 copies, parameters drawn from ``random.Random(original id + edit)``:

  crop           40-90% of each side, the window holding the centre
  rotate         any angle in [-45, 45] (at least 3 degrees), same canvas, black corners
  rotate_expand  the same with the canvas expanded to hold the whole image (black or white fill)
  hflip, vflip   mirror left-right, top-bottom
  aspect         one side squashed to 55-85%
  jpeg           re-encoded only
  crop_rotate, crop_flip, rotate_flip, crop_resize (crop, then 30-60% of the size)
Every file is a JPEG of quality 50-95. Halves by original (see common.py). Needs apt-get,
dpkg-deb.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import SetWriter, half_of, unpack_deb
from PIL import Image, ImageOps

from imagededup.images.decode import load_rgb
from imagededup.methods import PHash

MAX_SIDE = 800
OPENCV_PHOTOS = [
    "aero1",
    "apple",
    "baboon",
    "basketball1",
    "board",
    "box_in_scene",
    "building",
    "butterfly",
    "chicky_512",
    "ela_original",
    "fruits",
    "home",
    "leuvenA",
    "licenseplate_motion",
    "messi5",
    "orange",
    "rubberwhale1",
    "smarties",
    "squirrel_cls",
    "starry_night",
    "stuff",
    "graf1",
    "aloeL",
    "left",
    "text_defocus",
    "Blender_Suzanne1",
]
Edit = Callable[[Image.Image, random.Random], Image.Image]


def crop(im: Image.Image, rng: random.Random, low: float = 0.4) -> Image.Image:
    """A window of ``low``-90% of each side that holds the centre, so any two crops overlap."""
    w, h = round(im.width * rng.uniform(low, 0.9)), round(im.height * rng.uniform(low, 0.9))
    x = rng.randint(max(0, im.width // 2 - w), min(im.width - w, im.width // 2))
    y = rng.randint(max(0, im.height // 2 - h), min(im.height - h, im.height // 2))
    return im.crop((x, y, x + w, y + h))


def angle(rng: random.Random) -> float:
    return rng.choice((-1, 1)) * rng.uniform(3, 45)


def rotate(im: Image.Image, rng: random.Random, expand: bool = False) -> Image.Image:
    fill = rng.choice(((0, 0, 0), (255, 255, 255))) if expand else (0, 0, 0)
    return im.rotate(angle(rng), Image.Resampling.BICUBIC, expand=expand, fillcolor=fill)


def flip(im: Image.Image, rng: random.Random) -> Image.Image:
    return rng.choice((ImageOps.mirror, ImageOps.flip))(im)


def aspect(im: Image.Image, rng: random.Random) -> Image.Image:
    squash = rng.uniform(0.55, 0.85)
    if rng.random() < 0.5:
        return im.resize((round(im.width * squash), im.height), Image.Resampling.LANCZOS)
    return im.resize((im.width, round(im.height * squash)), Image.Resampling.LANCZOS)


def shrink(im: Image.Image, rng: random.Random) -> Image.Image:
    scale = rng.uniform(0.3, 0.6)
    size = (max(16, round(im.width * scale)), max(16, round(im.height * scale)))
    return im.resize(size, Image.Resampling.LANCZOS)


def rotate_any(im: Image.Image, rng: random.Random) -> Image.Image:
    return rotate(im, rng, expand=rng.random() < 0.5)


EDITS: dict[str, Edit] = {
    "orig": lambda im, rng: im,
    "crop": crop,
    "rotate": rotate,
    "rotate_expand": lambda im, rng: rotate(im, rng, expand=True),
    "hflip": lambda im, rng: ImageOps.mirror(im),
    "vflip": lambda im, rng: ImageOps.flip(im),
    "aspect": aspect,
    "jpeg": lambda im, rng: im,
    "crop_rotate": lambda im, rng: rotate_any(crop(im, rng, 0.5), rng),
    "crop_flip": lambda im, rng: flip(crop(im, rng), rng),
    "rotate_flip": lambda im, rng: flip(rotate_any(im, rng), rng),
    "crop_resize": lambda im, rng: shrink(crop(im, rng), rng),
}


def opened(path: Path) -> Image.Image:
    """RGB (transparency on white), longer side at most ``MAX_SIDE``."""
    im = load_rgb(path)
    im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return im


def dev_originals(devset: Path, count: int) -> tuple[list[tuple[str, Path]], set[str]]:
    """``count`` dev-set originals (a stable sample) and the package paths the dev set used."""
    with (devset / "manifest.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    used = {row["path_in_package"] for row in rows}
    originals = [row for row in rows if row["transform"] in ("orig", "original")]
    picked = sorted(originals, key=lambda row: hash_key(row["source"]))[:count]
    return [(f"dev-{r['source']}", devset / "images" / r["file"]) for r in picked], used


def hash_key(text: str) -> str:
    """A stable pseudo-random order for sampling."""
    return hashlib.sha256(text.encode()).hexdigest()


def package_originals(cache: Path, used: set[str], nebulae: int) -> list[tuple[str, Path]]:
    """OpenCV example photos and nebula photos the dev set did not use."""
    opencv = unpack_deb("opencv-doc", cache) / "usr/share/doc/opencv-doc/examples/data"
    found = [(f"cv-{name}", next(opencv.glob(f"{name}.*"))) for name in OPENCV_PHOTOS]
    debcache = Path("/tmp/debcache/x/stellarium-data")
    stellarium = debcache if debcache.is_dir() else unpack_deb("stellarium-data", cache)
    folder = stellarium / "usr/share/stellarium/nebulae/default"
    candidates = []
    for path in sorted(folder.glob("*.png")) + sorted(folder.glob("*.jpg")):
        if str(path.relative_to(stellarium)) in used:
            continue
        with Image.open(path) as im:
            if min(im.size) >= 256:
                candidates.append((f"neb-{path.stem}", path))
    candidates.sort(key=lambda item: hash_key(item[0]))
    return found + candidates[:nebulae]


def distinct(sources: list[tuple[str, Path]]) -> list[tuple[str, Image.Image]]:
    """Opened sources, dropping any within pHash distance 10 of an earlier one."""
    phash = PHash(verbose=False)
    kept: list[tuple[str, Image.Image]] = []
    hashes: list[int] = []
    for key, path in sources:
        im = opened(path)
        code = int(phash.encode_image(image_array=np.asarray(im)), 16)
        if all(bin(code ^ other).count("1") > 10 for other in hashes):
            kept.append((key, im))
            hashes.append(code)
        else:
            print(f"dropped {key}: a near-copy of an earlier original")
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--devset", type=Path, default=Path("/tmp/devset"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/i16"))
    parser.add_argument("--dev-originals", type=int, default=160)
    parser.add_argument("--nebulae", type=int, default=60)
    args = parser.parse_args()
    dev, used = dev_originals(args.devset, args.dev_originals)
    sources = distinct(dev + package_originals(args.cache, used, args.nebulae))
    writer = SetWriter(args.target)
    for key, im in sources:
        half = half_of(key)
        for name, edit in EDITS.items():
            rng = random.Random(f"{key}:{name}")
            file = f"{key}__{name}.jpg"
            edit(im, rng).save(writer.images(half) / file, quality=rng.randint(50, 95))
            writer.add(half, file, name, key, key.split("-", 1)[0])
    writer.write()


if __name__ == "__main__":
    main()
