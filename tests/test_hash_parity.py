"""The hashes equal those of the reference implementations, on the committed example photos.

Expected values are in ``tests/data`` (see its README for how they were made): aHash, dHash, pHash
and wHash from imagededup 0.3.3.post2, PDQ from the ``pdqhash`` package (Meta's C++ code).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagededup.methods import AHash, DHash, PDQHash, PHash, WHash
from tests.conftest import EXAMPLES

DATA = Path(__file__).resolve().parent / "data"
IMAGEDEDUP_033 = json.loads((DATA / "imagededup033_hashes.json").read_text())
PDQ_REFERENCE = json.loads((DATA / "pdq_reference_hashes.json").read_text())
METHODS = {"phash": PHash, "dhash": DHash, "ahash": AHash, "whash": WHash}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_hashes_equal_imagededup_033(method):
    hasher = METHODS[method](verbose=False)
    assert set(IMAGEDEDUP_033) == {path.name for path in EXAMPLES.glob("*.jpg")}
    ours = hasher.encode_images(EXAMPLES)
    assert ours == {name: hashes[method] for name, hashes in IMAGEDEDUP_033.items()}
    for name, hashes in IMAGEDEDUP_033.items():
        with Image.open(EXAMPLES / name) as im:
            assert hasher.encode_image(image_array=np.asarray(im)) == hashes[method], name


def test_pdq_equals_meta_reference():
    assert PDQHash(verbose=False).encode_images(EXAMPLES) == PDQ_REFERENCE


def test_flat_images_hash_the_same_everywhere():
    # Every DCT coefficient but the mean is 0: no floating-point noise may pick the bits.
    grey = np.full((50, 70), 128, np.uint8)
    assert PHash().encode_image(image_array=grey) == "f" * 16
    assert PHash().encode_image(image_array=np.full((9, 9, 3), 7, np.uint8)) == "f" * 16
