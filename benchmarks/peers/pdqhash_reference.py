"""PDQ hashes of image files by the ``pdqhash`` package (Meta's C++ reference, via Cython).

Run with the Python of a venv that has ``pdqhash``, numpy and Pillow:

    python pdqhash_reference.py FILE...

Prints {file: 64 hex digits} as JSON, bit 255 first, as the reference writes hashes.
"""

import json
import sys

import numpy as np
import pdqhash
from PIL import Image


def pdq_hex(path):
    with Image.open(path) as image:
        bits, _quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


if __name__ == "__main__":
    json.dump({path: pdq_hex(path) for path in sys.argv[1:]}, sys.stdout, indent=1)
