"""Rebuild ``compat/``: small hostile images and imagededup 0.3.3's hashes of them.

    python tests/data/make_compat_cases.py --peer-python /tmp/peer033/bin/python

The images are ``benchmarks/compat.py``'s hostile folder made from 64 px wide photos (EXIF
orientations, transparency, 16/32-bit, CMYK, 1-bit, animations, names without or with a wrong
extension, formats 0.3.3 refuses, broken files), plus one 1804x1200 JPEG, the size where a
reduced-scale decode would change hashes. ``imagededup033_hashes.json`` holds what 0.3.3's
``encode_images`` returns for the folder with each of its four hashes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PEER = ROOT / "benchmarks" / "peers" / "imagededup033.py"
sys.path.insert(0, str(ROOT / "benchmarks"))

from compat import make_hostile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer-python", required=True)
    args = parser.parse_args()
    folder = HERE / "compat"
    shutil.rmtree(folder, ignore_errors=True)
    make_hostile(folder, width=64)
    photo = Image.open(ROOT / "examples" / "images" / "chelsea.jpg")
    photo.resize((1804, 1200), Image.Resampling.BICUBIC).save(folder / "large.jpg", quality=30)
    done = subprocess.run(
        [args.peer_python, str(PEER), "compat", str(folder)],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    hashes = {method: found["hashes"] for method, found in json.loads(done.stdout).items()}
    (HERE / "imagededup033_compat_hashes.json").write_text(json.dumps(hashes, indent=1) + "\n")


if __name__ == "__main__":
    main()
