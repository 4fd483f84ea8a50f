"""Build the *emojione* developer set: an emoji set's own PNG releases at 32, 64 and 128 px.

Usage: python benchmarks/sets/emojione.py TARGET [--cache /tmp/i16]

OpenMoji's npm package ships SVG only (graphics.py draws it with rsvg-convert); the npm
package ``emojione-assets`` ships EmojiOne 4.5 as PNGs the artist exported at 32, 64 and
128 px: emoji at several sizes as another set ships them. Each emoji keeps 2 or 3 of its
sizes, one duplicate group; each skin tone, heart, keycap and flag is its own image, a hard
negative of its neighbours. Kinds as in graphics.py: 40 families of a base and its five skin
tones, 30 hearts, the 12 keycaps, 40 flags and 100 other emoji. Halves by family (a base and
its tones fall in one half). Needs npm.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

from common import SetWriter, half_of, unpack_npm
from graphics import by_kind, stable

PACKAGE = "emojione-assets@4.5.0"
SIZES = (32, 64, 128)
TONES = 5


def emoji_kinds(package: Path) -> list[tuple[str, str, str]]:
    """``(kind, family, code)`` of the emoji in the set, ``code`` as the PNGs are named."""
    data = json.loads((package / "emoji.json").read_text())
    families = {c: e["diversities"] for c, e in data.items() if len(e["diversities"]) == TONES}
    picked = [
        ("emoji-skin", family, code)
        for family in sorted(families, key=stable)[:40]
        for code in (family, *families[family])
    ]
    plain = {
        code: e
        for code, e in data.items()
        if code not in families and e["diversity"] is None and e["category"] != "modifier"
    }
    kinds = (
        ("emoji-heart", lambda e: e["category"] == "symbols" and "heart" in e["name"], 30),
        ("emoji-keycap", lambda e: e["name"].startswith("keycap"), 30),
        ("emoji-flag", lambda e: e["category"] == "flags", 40),
        ("emoji-other", lambda e: e["category"] not in ("flags", "regional"), 100),
    )
    return picked + [(kind, code, code) for kind, code in by_kind(plain, kinds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/i16"))
    args = parser.parse_args()
    package = unpack_npm(PACKAGE, args.cache)
    writer = SetWriter(args.target)
    for kind, family, code in emoji_kinds(package):
        half = half_of(f"emojione:{family}")
        rng = random.Random(f"emojione:{code}")
        for size in sorted(rng.sample(SIZES, rng.choice((2, 3)))):
            png = package / "png" / str(size) / f"{code}.png"
            if png.is_file():
                file = f"emoji-{code}-{size}.png"
                shutil.copyfile(png, writer.images(half) / file)
                writer.add(half, file, f"{size}px", f"emoji:{code}", kind)
    writer.write()


if __name__ == "__main__":
    main()
