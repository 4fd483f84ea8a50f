"""Build the *graphics* developer set: icon themes and emoji at several sizes, with hard negatives.

Usage: python benchmarks/sets/graphics.py TARGET [--cache /tmp/i16] [--icon-names 300]
       [--monochrome-names 0] [--themes mate,menta,moka,tango] [--icon-sizes 22,...,256]
       [--emoji-sizes 32,72,160] [--no-emoji]

Icons: the PNGs (regular files, not the themes' symlinks) of ``mate-icon-theme`` (mate, menta),
``moka-icon-theme`` (Moka) and ``tango-icon-theme`` (Tango), sizes 22-256 px; each icon keeps 2
or 3 of its sizes. A theme's icon at its sizes is one duplicate group (joined by any pixel-
identical file with the group of another icon, of any theme); the same name in another theme is
a hard negative, and so is every other icon of a theme (many share a shape). Names seen in
several themes are preferred. Emoji: OpenMoji (``npm pack openmoji@15.0.0``: SVG only, rendered
with ``rsvg-convert`` at 2 of 32, 72 and 160 px): skin-tone families (each tone its own group:
the others are hard negatives), coloured hearts, keycaps, flags, and other emoji, some also in
OpenMoji's black line-art version (another colour: a hard negative). Halves by icon name or
emoji family, so the hard negatives of a concept share its half. Monochrome icons:
Breeze's one-colour SVGs (``breeze-icon-theme``), drawn anew at each of 16-64 px and rendered
at that size, 2 or 3 sizes a name (every other icon is a hard negative). Held-out themes
(``HELD_OUT``: Oxygen, elementary-xfce, GNOME's old theme, Faenza), never tuned on, with
``--themes oxygen,elementary,gnome,faenza --icon-sizes 32,48,64,96,128 --no-emoji`` (*themes*:
the sizes reviewers hold out), and emoji at the sizes OpenMoji's PNGs come in with
``--icon-names 0 --emoji-sizes 72,618`` (*emoji618*). Needs apt-get, dpkg-deb, npm,
rsvg-convert (Debian librsvg2-bin).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import SetWriter, half_of, unpack_deb, unpack_npm
from PIL import Image

THEMES = {
    "mate": ("mate-icon-theme", "mate"),
    "menta": ("mate-icon-theme", "menta"),
    "moka": ("moka-icon-theme", "Moka"),
    "tango": ("tango-icon-theme", "Tango"),
}
HELD_OUT = {
    "oxygen": ("oxygen-icon-theme", "oxygen"),
    "elementary": ("elementary-xfce-icon-theme", "elementary-xfce"),
    "gnome": ("gnome-icon-theme", "gnome"),
    "faenza": ("faenza-icon-theme", "Faenza"),
}
"""Themes no default was tuned on (each lays its folders out its own way: ``icon_size``)."""
ICON_SIZES = (22, 24, 32, 48, 64, 96, 256)
MONOCHROME = ("breeze-icon-theme", "breeze")
"""A theme of flat one-colour SVG icons drawn anew for each size (rendered at that size)."""
MONOCHROME_SIZES = (16, 22, 24, 32, 48, 64)
EMOJI_SIZES = (32, 72, 160)
OPENMOJI = "openmoji@15.0.0"


def stable(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def icon_size(png: Path) -> tuple[int, str] | None:
    """The size and context of a theme's PNG, from its folders (``32x32/apps``, ``apps/32``,
    ``base/32x32/apps``); None for any other folder (``scalable``, ``32x32@2x``)."""
    for size_folder, context in ((png.parent.parent, png.parent), (png.parent, png.parent.parent)):
        found = re.fullmatch(r"(\d+)(?:x\1)?", size_folder.name)
        if found:
            return int(found.group(1)), context.name
    return None


def icon_files(
    cache: Path, themes: dict[str, tuple[str, str]], sizes: tuple[int, ...]
) -> dict[tuple[str, str], dict[int, Path]]:
    """``{(theme, context/name): {size: png}}`` over the themes' regular PNG files."""
    icons: dict[tuple[str, str], dict[int, Path]] = defaultdict(dict)
    for theme, (package, folder) in themes.items():
        root = unpack_deb(package, cache) / "usr/share/icons" / folder
        for png in sorted(root.rglob("*.png")):
            found = None if png.is_symlink() else icon_size(png)
            if found and found[0] in sizes:
                icons[theme, f"{found[1]}/{png.stem}"][found[0]] = png
    return {key: sizes for key, sizes in icons.items() if len(sizes) >= 2}


def pick_icons(icons: dict, names: int) -> list[tuple[str, str]]:
    """Icons of ``names`` names, those found in several themes first, in a stable order."""
    themes_of: dict[str, list[str]] = defaultdict(list)
    for theme, name in icons:
        themes_of[name].append(theme)
    order = sorted(themes_of, key=lambda name: (-min(len(themes_of[name]), 2), stable(name)))
    return [(theme, name) for name in order[:names] for theme in sorted(themes_of[name])]


def pixels_key(path: Path) -> str:
    with Image.open(path) as im:
        return hashlib.sha256(np.asarray(im.convert("RGBA")).tobytes()).hexdigest()


def add_icons(
    writer: SetWriter,
    cache: Path,
    names: int,
    themes: dict[str, tuple[str, str]] = THEMES,
    sizes: tuple[int, ...] = ICON_SIZES,
) -> None:
    icons = icon_files(cache, themes, sizes)
    merged: dict[str, str] = {}
    for theme, name in pick_icons(icons, names):
        rng = random.Random(f"{theme}:{name}")
        sizes = sorted(icons[theme, name])
        chosen = sorted(rng.sample(sizes, min(len(sizes), rng.choice((2, 3)))))
        half = half_of(f"icon:{name.split('/')[1]}")
        keys = [pixels_key(icons[theme, name][size]) for size in chosen]
        group = next((merged[k] for k in keys if k in merged), f"{theme}:{name}")
        merged.update(dict.fromkeys(keys, group))
        for size in chosen:
            file = f"icon-{theme}-{name.replace('/', '-')}-{size}.png"
            shutil.copyfile(icons[theme, name][size], writer.images(half) / file)
            writer.add(half, file, f"{size}px", f"icon:{group}", f"icon-{theme}")


def monochrome_files(cache: Path) -> dict[tuple[str, str], dict[int, Path]]:
    """``{("breeze", context/name): {size: svg}}`` over the theme's regular SVG files."""
    package, folder = MONOCHROME
    root = unpack_deb(package, cache) / "usr/share/icons" / folder
    icons: dict[tuple[str, str], dict[int, Path]] = defaultdict(dict)
    for size in MONOCHROME_SIZES:
        for svg in root.glob(f"*/{size}/*.svg"):
            if not svg.is_symlink():
                icons[folder, f"{svg.parent.parent.name}/{svg.stem}"][size] = svg
    return {key: sizes for key, sizes in icons.items() if len(sizes) >= 2}


def add_monochrome(writer: SetWriter, cache: Path, names: int) -> None:
    """Breeze's one-colour icons at 2 or 3 of their sizes: a name at its sizes is one group
    (joined with any other whose rendering is pixel-identical), every other icon a hard
    negative (arrows and their mirror images, media buttons, variants with a small emblem)."""
    icons = monochrome_files(cache)
    merged: dict[str, str] = {}
    for theme, name in sorted(icons, key=lambda key: stable(key[1]))[:names]:
        rng = random.Random(f"{theme}:{name}")
        sizes = sorted(icons[theme, name])
        chosen = sorted(rng.sample(sizes, min(len(sizes), rng.choice((2, 3)))))
        half = half_of(f"icon:{name.split('/')[1]}")
        files = []
        for size in chosen:
            file = f"icon-{theme}-{name.replace('/', '-')}-{size}.png"
            out = writer.images(half) / file
            svg = icons[theme, name][size]
            subprocess.run(
                ["rsvg-convert", "-w", str(size), "-h", str(size), svg, "-o", out], check=True
            )
            files.append((size, file, out))
        keys = [pixels_key(out) for _, _, out in files]
        group = next((merged[k] for k in keys if k in merged), f"{theme}:{name}")
        merged.update(dict.fromkeys(keys, group))
        for size, file, _ in files:
            writer.add(half, file, f"{size}px", f"icon:{group}", f"icon-{theme}")


def by_kind(
    entries: dict[str, dict], kinds: tuple[tuple[str, Callable[[dict], bool], int], ...]
) -> list[tuple[str, str]]:
    """``(kind, code)`` of at most ``count`` of the ``entries`` (by code) that pass ``test``,
    for each ``(kind, test, count)`` of ``kinds`` in turn (an entry goes to the first kind that
    takes it), each kind's in a stable order."""
    left = dict(entries)
    picked = []
    for kind, test, count in kinds:
        chosen = sorted((code for code, e in left.items() if test(e)), key=stable)[:count]
        picked += [(kind, code) for code in chosen]
        for code in chosen:
            del left[code]
    return picked


def emoji_kinds(package: Path) -> list[tuple[str, str, str, str]]:
    """``(kind, family, hexcode, style)`` of the emoji in the set."""
    data = json.loads((package / "data/openmoji.json").read_text())
    families: dict[str, list[str]] = defaultdict(list)
    for e in data:
        if e["skintone_combination"] == "single":
            families[e["skintone_base_hexcode"]].append(e["hexcode"])
    with_tones = sorted((f for f in families if len(families[f]) == 6), key=stable)[:35]
    picked = [("emoji-skin", f, code, "color") for f in with_tones for code in families[f]]
    plain = {
        e["hexcode"]: e
        for e in data
        if not e["skintone_combination"] and e["hexcode"] not in families
    }
    kinds = (
        ("emoji-heart", lambda e: e["subgroups"] == "heart", 30),
        ("emoji-keycap", lambda e: e["subgroups"] == "keycap", 30),
        ("emoji-flag", lambda e: e["group"] == "flags", 40),
        ("emoji-other", lambda e: e["group"] not in ("flags", "component"), 100),
    )
    picked += [(kind, code, code, "color") for kind, code in by_kind(plain, kinds)]
    others = [p for p in picked if p[0] == "emoji-other"][:30]
    picked += [("emoji-black", family, code, "black") for _, family, code, _ in others]
    return picked


def add_emoji(writer: SetWriter, cache: Path, sizes: tuple[int, ...] = EMOJI_SIZES) -> None:
    package = unpack_npm(OPENMOJI, cache)
    for kind, family, code, style in emoji_kinds(package):
        svg = package / style / "svg" / f"{code}.svg"
        if not svg.is_file():
            continue
        half = half_of(f"emoji:{family}")
        for size in random.Random(f"{style}:{code}").sample(sizes, 2):
            file = f"emoji-{style}-{code}-{size}.png"
            out = writer.images(half) / file
            subprocess.run(
                ["rsvg-convert", "-w", str(size), "-h", str(size), svg, "-o", out], check=True
            )
            writer.add(half, file, f"{size}px", f"emoji:{style}:{code}", kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/i16"))
    parser.add_argument("--icon-names", type=int, default=300)
    parser.add_argument("--monochrome-names", type=int, default=0)
    parser.add_argument("--themes", default=",".join(THEMES), help="of THEMES and HELD_OUT")
    parser.add_argument("--icon-sizes", default=",".join(map(str, ICON_SIZES)))
    parser.add_argument("--emoji-sizes", default=",".join(map(str, EMOJI_SIZES)))
    parser.add_argument("--no-emoji", action="store_true")
    args = parser.parse_args()
    known = THEMES | HELD_OUT
    themes = {name: known[name] for name in args.themes.split(",")}
    sizes = tuple(int(size) for size in args.icon_sizes.split(","))
    writer = SetWriter(args.target)
    add_icons(writer, args.cache, args.icon_names, themes, sizes)
    if not args.no_emoji:
        add_emoji(writer, args.cache, tuple(int(size) for size in args.emoji_sizes.split(",")))
    add_monochrome(writer, args.cache, args.monochrome_names)
    writer.write()


if __name__ == "__main__":
    main()
