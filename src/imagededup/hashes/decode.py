"""Pixels for the hashes: by default exactly the pixels imagededup 0.3.3 hashed.

0.3.3 hashed the stored pixels at full size: no EXIF orientation; every mode other than RGB went
through Pillow's ``convert("RGBA").convert("RGB")``, which drops transparency (the colour under a
transparent pixel is kept) and clips 16-bit values; an animation gave its first frame. Stored
hashes stay valid only with the same pixels, so that is the default here. Two options trade
parity for speed or robustness: ``draft_size`` decodes large JPEGs at reduced DCT scale, and
``upright`` uses the CNN's decoder (EXIF orientation, transparency on white, 16-bit scaled).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from imagededup.images.decode import DecodeError, load_rgb, open_lazily

_JPEG_FORMATS = ("JPEG", "MPO")


def load_hash_rgb(
    source: str | os.PathLike[str] | np.ndarray,
    draft_size: int | None = None,
    upright: bool = False,
) -> Image.Image:
    """Decode ``source`` (a path or a checked uint8 array) to the RGB image a hash reduces.

    A grey array becomes RGB with equal channels, which hashes exactly as 0.3.3's grey array did.

    ``draft_size``: JPEGs are decoded at reduced scale, both sides staying at least twice it.
    The caller closes the image. Raises ``DecodeError``.
    """
    if upright:
        return load_rgb(source, draft_size)
    if isinstance(source, np.ndarray):
        image = Image.fromarray(np.ascontiguousarray(source))
    else:
        image = open_lazily(Path(source))
    try:
        if draft_size is not None and image.format in _JPEG_FORMATS:
            image.draft("RGB", (2 * draft_size, 2 * draft_size))
        image.load()
        if image.mode == "RGB":
            return image
        with image:  # the original is closed once converted
            return image.convert("RGBA").convert("RGB")
    except (OSError, ValueError, SyntaxError, MemoryError) as exc:
        image.close()
        raise DecodeError(f"cannot decode image: {exc}") from exc
