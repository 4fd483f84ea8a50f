"""pHash a folder with the imagehash package, then find pairs within a Hamming distance.

Run with the Python of a venv that has ``imagehash`` (e.g. the one of ``imagededup033.py``):

    python imagehash_phash.py DIR [THRESHOLD]

imagehash hashes one image at a time and has no search, so this does what a user would: hash in a
process pool (one worker per core), then compare all pairs with vectorised NumPy popcounts in
blocks. Prints {"images", "encode_s", "search_s"} as JSON.
"""

import json
import os
import sys
import time
from multiprocessing import Pool

import imagehash
import numpy as np
from PIL import Image

BLOCK = 2048


def phash_bits(path):
    with Image.open(path) as image:
        return np.packbits(imagehash.phash(image).hash.ravel())


def pairs_within(codes, threshold):
    words = codes.view(">u8").ravel()
    found = 0
    for start in range(0, len(words), BLOCK):
        distances = np.bitwise_count(words[start : start + BLOCK, None] ^ words[None, :])
        rows, cols = np.nonzero(distances <= threshold)
        found += int(np.count_nonzero(rows + start < cols))
    return found


def main(image_dir, threshold=10):
    files = sorted(
        os.path.join(image_dir, f) for f in os.listdir(image_dir) if not f.startswith(".")
    )
    start = time.perf_counter()
    with Pool() as pool:
        codes = np.stack(pool.map(phash_bits, files, chunksize=64))
    encoded = time.perf_counter()
    pairs_within(codes, threshold)
    end = time.perf_counter()
    return {"images": len(files), "encode_s": encoded - start, "search_s": end - encoded}


if __name__ == "__main__":
    json.dump(main(sys.argv[1], *(int(a) for a in sys.argv[2:])), sys.stdout)
