"""A real tree as a new user would try it: images copied from /usr/share, sheets to judge groups.

Usage: python benchmarks/sets/usrshare.py copy TARGET [--count 3000]
       python benchmarks/sets/usrshare.py sheets TARGET SHEETS [--sample 50] [--model M]

``copy``: a stable sample (by a hash of the path) of the PNG, GIF and JPEG files under
/usr/share, copied with their relative paths (symlinks followed, so an icon linked under two
names becomes two byte-identical files). ``sheets``: runs ``CNN.find_duplicates`` on TARGET,
groups the pairs (connected components), draws a stable sample of groups and renders each as a
PNG contact sheet (every file at its own size and at 96 px, with its name, size and whether it
is byte-identical to the group's first file), to be looked at by a person.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

from PIL import Image, ImageDraw

from imagededup.groups import groups_from_map
from imagededup.methods import CNN

SUFFIXES = {".png", ".gif", ".jpg", ".jpeg"}
CELL = 180


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


def sheet(root: Path, names: list[str], out: Path) -> None:
    """One row per file: the file at its own size (at most CELL) and at 96 px, and its facts."""
    first = (root / names[0]).read_bytes()
    canvas = Image.new("RGB", (CELL * 2 + 520, CELL * len(names)), "white")
    draw = ImageDraw.Draw(canvas)
    for row, name in enumerate(names):
        with Image.open(root / name) as im:
            im = im.convert("RGBA")
            size = im.size
            own = im.copy()
            own.thumbnail((CELL, CELL))
            canvas.paste(own, (0, row * CELL), own)
            big = im.resize((96, 96))
            canvas.paste(big, (CELL, row * CELL), big)
        same = "identical bytes" if (root / name).read_bytes() == first else ""
        draw.text((2 * CELL, row * CELL + 5), f"{name}\n{size[0]}x{size[1]} {same}", fill="black")
    canvas.save(out)


def sheets(target: Path, folder: Path, sample: int, model: str) -> None:
    duplicates = CNN(model=model, verbose=False).find_duplicates(image_dir=target, recursive=True)
    groups = [sorted(g) for g in groups_from_map(duplicates) if len(g) > 1]
    removable = sum(len(g) - 1 for g in groups)
    print(f"{len(groups)} groups, {removable} files to remove")
    folder.mkdir(parents=True, exist_ok=True)
    picked = sorted(groups, key=lambda g: stable(g[0]))[:sample]
    for k, group in enumerate(picked):
        sheet(target, group[:8], folder / f"group{k:02d}.png")
        print(f"group{k:02d}: {len(group)} files: {', '.join(group[:4])}")


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
    judging.add_argument("--model", default="sscd_distilled")
    args = parser.parse_args()
    if args.command == "copy":
        copy(args.target, args.count)
    else:
        sheets(args.target, args.sheets, args.sample, args.model)


if __name__ == "__main__":
    main()
