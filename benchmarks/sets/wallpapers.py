"""Build the *wallpapers* developer set: desktop wallpapers at several sizes, cropped, on screen.

Usage: python benchmarks/sets/wallpapers.py TARGET [--cache /tmp/i16]

Arts: the wallpapers of ``plasma-workspace-wallpapers`` (KDE), ``desktop-base`` (Debian's
themes, SVG drawn at each aspect they ship), ``gnome-backgrounds`` and ``mate-backgrounds``. An
art's light and dark versions, and MATE's colour versions of one design, are separate groups of
one family: hard negatives of each other (another colour, like the emoji's skin tones); so is
every other wallpaper (many are smooth gradients or flat shapes). Each art, at most 1280 px,
gets up to 4 files, parameters drawn from ``random.Random(art + edit)``:

  orig        the first size the package ships (PNG)
  size        another size or aspect it ships (Debian, KDE, MATE), else the first at 40-60% (JPEG)
  crop        50-90% of each side, the window holding the centre (JPEG)
  screenshot  a desktop showing it: filling a 1280x800 or 1366x768 screen under a panel and
              one or two windows, or fitted in an image viewer's window (PNG)

Debian's lock screens and its wallpapers with a logo are left out (another asset, or the same
one edited: neither is clearly a copy). Halves by family. Needs apt-get, dpkg-deb, rsvg-convert.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

from common import SetWriter, half_of, unpack_deb
from photos import crop
from PIL import Image, ImageDraw, ImageOps

MAX_SIDE = 1280
DESKTOP = (46, 52, 64)
"""Colour a transparent wallpaper (MATE's white overlays) is drawn on, as a desktop shows it."""
SCREENS = ((1280, 800), (1366, 768))
PANEL = 28
"""Height (px) of the desktop panel drawn on a screenshot."""

Art = tuple[str, str, list[Path]]
"""(family, variant, the files of its sizes)."""


def kde_arts(cache: Path) -> list[Art]:
    root = unpack_deb("plasma-workspace-wallpapers", cache) / "usr/share/wallpapers"
    arts = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for variant in ("images", "images_dark"):
            files = sorted((folder / "contents" / variant).glob("*.*"))
            if files:
                arts.append((f"kde:{folder.name}", variant, files))
    return arts


def debian_arts(cache: Path) -> list[Art]:
    root = unpack_deb("desktop-base", cache) / "usr/share/desktop-base"
    return [
        (f"debian:{theme.name}", "wallpaper", sorted(images.glob("*.svg")))
        for theme in sorted(root.glob("*-theme"))
        if (images := theme / "wallpaper/contents/images").is_dir() and any(images.glob("*.svg"))
    ]


def named_arts(root: Path, variant_pattern: str) -> list[Art]:
    """Arts whose file names differ only in ``variant_pattern`` (a colour) or a size suffix."""
    groups: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in {".png", ".jpg", ".webp", ".svg"}:
            continue
        stem = re.sub(r"_\d+x\d+$", "", path.stem)
        match = re.search(variant_pattern, stem)
        variant = match.group(0) if match else ""
        family = stem.replace(variant, "") if variant else stem
        groups[family, variant].append(path)
    return [(f"{root.name}:{name}", variant, files) for (name, variant), files in groups.items()]


def rendered(path: Path, size: tuple[int, int] | None = None) -> Image.Image:
    """RGB at most ``MAX_SIDE``, on ``DESKTOP``: an SVG drawn at the size its name gives, else
    the file."""
    if path.suffix == ".svg":
        match = re.match(r"(\d+)x(\d+)$", path.stem)
        w, h = (int(match.group(1)), int(match.group(2))) if match else (1920, 1080)
        scale = min(1.0, MAX_SIDE / max(w, h))
        width, height = str(round(w * scale)), str(round(h * scale))
        with tempfile.NamedTemporaryFile(suffix=".png") as out:
            command = ["rsvg-convert", "-w", width, "-h", height, path, "-o", out.name]
            subprocess.run(command, check=True)
            image = Image.open(out.name).convert("RGBA")
    else:
        image = Image.open(path).convert("RGBA")
    flat = Image.new("RGBA", image.size, (*DESKTOP, 255))
    flat.alpha_composite(image)
    flat.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return flat.convert("RGB")


def window(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """A plain application window: title bar, light body, a few lines of 'text'."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(rng.randint(225, 250),) * 3, outline=(90, 90, 90))
    draw.rectangle((x0, y0, x1, y0 + 24), fill=(rng.randint(40, 90),) * 3)
    for line in range(y0 + 40, y1 - 12, 18):
        length = rng.randint(40, x1 - x0 - 28)
        draw.rectangle((x0 + 14, line, x0 + 14 + length, line + 6), (60,) * 3)


def screenshot(art: Image.Image, rng: random.Random) -> Image.Image:
    """The art on a desktop: as its background under a panel and windows, or in a viewer."""
    size = rng.choice(SCREENS)
    if rng.random() < 0.5:
        screen = ImageOps.fit(art, size, Image.Resampling.LANCZOS)
        draw = ImageDraw.Draw(screen)
        for _ in range(rng.randint(1, 2)):
            w, h = round(size[0] * rng.uniform(0.25, 0.45)), round(size[1] * rng.uniform(0.3, 0.5))
            x, y = rng.randint(0, size[0] - w), rng.randint(PANEL, size[1] - h)
            window(draw, (x, y, x + w, y + h), rng)
    else:
        screen = Image.new("RGB", size, (rng.randint(30, 80),) * 3)
        draw = ImageDraw.Draw(screen)
        box = (60, PANEL + 30, size[0] - 60, size[1] - 30)
        window(draw, box, rng)
        shown = ImageOps.contain(art, (box[2] - box[0] - 20, box[3] - box[1] - 60))
        screen.paste(shown, (box[0] + 10, box[1] + 50))
    top = rng.random() < 0.5
    panel = (0, 0, size[0], PANEL) if top else (0, size[1] - PANEL, size[0], size[1])
    draw.rectangle(panel, fill=(rng.randint(20, 50),) * 3)
    return screen


def add_art(writer: SetWriter, family: str, variant: str, files: list[Path]) -> None:
    half = half_of(family)
    group = f"{family}:{variant}"
    stem = re.sub(r"[^A-Za-z0-9]+", "-", group).strip("-")
    kind = family.split(":")[0]
    first = rendered(files[0])
    rng = random.Random(group)
    other = rendered(rng.choice(files[1:])) if len(files) > 1 else None
    if other is None:
        scale = rng.uniform(0.4, 0.6)
        other = first.resize((round(first.width * scale), round(first.height * scale)))
    copies = {
        "orig": (first, "png"),
        "size": (other, "jpg"),
        "crop": (crop(first, random.Random(group + "crop"), 0.5), "jpg"),
        "screenshot": (screenshot(first, random.Random(group + "screenshot")), "png"),
    }
    for transform, (image, suffix) in copies.items():
        file = f"{stem}-{transform}.{suffix}"
        out = writer.images(half) / file
        if suffix == "jpg":
            image.save(out, quality=random.Random(group + transform).randint(60, 92))
        else:
            image.save(out)
        writer.add(half, file, transform, group, kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/i16"))
    args = parser.parse_args()
    gnome = unpack_deb("gnome-backgrounds", args.cache) / "usr/share/backgrounds/gnome"
    mate = unpack_deb("mate-backgrounds", args.cache) / "usr/share/backgrounds/mate"
    arts = kde_arts(args.cache) + debian_arts(args.cache)
    arts += named_arts(gnome, r"-[ld]$")
    arts += named_arts(mate, r"(Dark|Light|Cold|Warm|Radioactive)")
    writer = SetWriter(args.target)
    for family, variant, files in arts:
        add_art(writer, family, variant, files)
    writer.write()


if __name__ == "__main__":
    main()
