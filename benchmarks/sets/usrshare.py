"""A real tree as a new user would try it: images copied from /usr/share, sheets to judge groups.

Usage: python benchmarks/sets/usrshare.py copy TARGET [--count 3000]
       python benchmarks/sets/usrshare.py sheets TARGET SHEETS [--sample 50] [--model M]
                                                   [--cache FILE]

``copy``: a stable sample (by a hash of the path) of the PNG, GIF and JPEG files under
/usr/share, copied with their relative paths (symlinks followed, so an icon linked under two
names becomes two byte-identical files). ``sheets``: runs ``CNN.find_duplicates`` on TARGET,
groups the pairs (connected components), draws a stable sample of groups and renders them, ten
a page, as PNG contact sheets (each file at most 64 px, with its size, its name and "=" when
its bytes equal the group's first file), to be looked at by a person.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

from PIL import Image, ImageDraw

from imagededup.groups import groups_from_map
from imagededup.methods import CNN
from imagededup.models.registry import DEFAULT_MODEL

SUFFIXES = {".png", ".gif", ".jpg", ".jpeg"}
CELL = 110
MAX_SHOWN = 8
PER_SHEET = 10


def stable(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def copy(target: Path, count: int) -> None:
    root = Path("/usr/share")
    files = [p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()]
    for path in sorted(files, key=lambda p: stable(str(p)))[:count]:
        out = target / path.relative_to(root)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
    print(f"{min(count, len(files))} of {len(files)} files copied to {target}")


def row_image(root: Path, names: list[str], label: str) -> Image.Image:
    """A group as a strip: each file at 64 px with its size, "=" if its bytes equal the first's."""
    strip = Image.new("RGB", (CELL * MAX_SHOWN, CELL), "white")
    draw = ImageDraw.Draw(strip)
    draw.text((2, 0), label, fill="red")
    first = (root / names[0]).read_bytes()
    for k, name in enumerate(names[:MAX_SHOWN]):
        with Image.open(root / name) as im:
            im = im.convert("RGBA")
            size = im.size
            im.thumbnail((64, 64))
            big = im.resize((max(1, im.width), max(1, im.height)))
        x = k * CELL
        strip.paste(big, (x + 4, 12), big)
        same = " =" if (root / name).read_bytes() == first else ""
        draw.text((x + 4, 80), f"{size[0]}x{size[1]}{same}", fill="black")
        draw.text((x + 4, 92), Path(name).stem[:18], fill="black")
    return strip


def sheets(target: Path, folder: Path, sample: int, model: str, cache: Path | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    duplicates = CNN(model=model, verbose=False, cache=cache).find_duplicates(
        image_dir=target, recursive=True, outfile=folder / "duplicates.json"
    )
    groups = [sorted(g) for g in groups_from_map(duplicates) if len(g) > 1]
    removable = sum(len(g) - 1 for g in groups)
    print(f"{len(groups)} groups, {removable} files to remove")
    picked = sorted(groups, key=lambda g: stable(g[0]))[:sample]
    for start in range(0, len(picked), PER_SHEET):
        strips = [
            row_image(target, group, f"group {start + k}: {len(group)} files")
            for k, group in enumerate(picked[start : start + PER_SHEET])
        ]
        page = Image.new("RGB", (strips[0].width, CELL * len(strips)), "white")
        for k, strip in enumerate(strips):
            page.paste(strip, (0, k * CELL))
        page.save(folder / f"groups{start:02d}.png")
    for k, group in enumerate(picked):
        print(f"group {k}: {len(group)} files: {', '.join(group[:MAX_SHOWN])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    copying = sub.add_parser("copy")
    copying.add_argument("target", type=Path)
    copying.add_argument("--count", type=int, default=3000)
    judging = sub.add_parser("sheets")
    judging.add_argument("target", type=Path)
    judging.add_argument("sheets", type=Path)
    judging.add_argument("--sample", type=int, default=50)
    judging.add_argument("--model", default=DEFAULT_MODEL)
    judging.add_argument("--cache", type=Path, help="an SQLite file of vectors, for re-runs")
    args = parser.parse_args()
    if args.command == "copy":
        copy(args.target, args.count)
    else:
        sheets(args.target, args.sheets, args.sample, args.model, args.cache)


if __name__ == "__main__":
    main()
