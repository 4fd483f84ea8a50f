"""Rebuild ``evaluation_cases.json``: duplicate maps and what imagededup 0.3.3's ``evaluate`` says.

    python tests/data/make_evaluation_cases.py [DEV_SET] [--peer-python PYTHON]

Case "small" is a hand-made map with every corner (empty lists, misses, wrong finds, order).
Case "dev_set" takes the first 30 groups (about 300 files) of the dev set's ground truth and the
duplicates that this library's PHash finds among them at distance 14 (so some are wrong), with
scores and shortened names. Expected values come from 0.3.3, run by PEER_PYTHON
(``benchmarks/peers/imagededup033.py``) on the maps without scores (0.3.3 cannot read scores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from imagededup.methods import PHash

HERE = Path(__file__).resolve().parent
PEER = HERE.parents[1] / "benchmarks" / "peers" / "imagededup033.py"

SMALL_TRUTH = {
    "a.jpg": ["b.jpg", "c.jpg"],
    "b.jpg": ["a.jpg", "c.jpg"],
    "c.jpg": ["a.jpg", "b.jpg"],
    "d.jpg": [],
    "e.jpg": ["f.jpg"],
    "f.jpg": ["e.jpg"],
    "g.jpg": [],
}
SMALL_RETRIEVED = {
    "a.jpg": [["d.jpg", 3], ["c.jpg", 5]],
    "b.jpg": [],
    "c.jpg": [["a.jpg", 5]],
    "d.jpg": [["a.jpg", 3], ["e.jpg", 9]],
    "e.jpg": [["d.jpg", 9], ["f.jpg", 10]],
    "f.jpg": [["e.jpg", 10]],
    "g.jpg": [],
}


def dev_set_case(dev_set: Path, groups: int = 30) -> tuple[dict, dict]:
    truth = json.loads((dev_set / "ground_truth.json").read_text())
    sources = sorted({name.split("__")[1] for name in truth})[:groups]
    keep = sorted(name for name in truth if name.split("__")[1] in sources)
    short = {
        name: f"g{sources.index(name.split('__')[1]):02d}_{name.split('__')[2]}" for name in keep
    }
    truth = {short[n]: sorted(short[m] for m in truth[n]) for n in keep}
    phash = PHash(verbose=False)
    hashes = {short[n]: phash.encode_image(dev_set / "images" / n) for n in keep}
    retrieved = phash.find_duplicates(encoding_map=hashes, max_distance_threshold=14, scores=True)
    return truth, {name: [list(entry) for entry in found] for name, found in retrieved.items()}


def expected(python: str, truth: dict, retrieved: dict) -> dict:
    names_only = {name: [entry[0] for entry in found] for name, found in retrieved.items()}
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / "truth.json", Path(tmp) / "retrieved.json"]
        for path, data in zip(paths, (truth, names_only), strict=True):
            path.write_text(json.dumps(data))
        run = subprocess.run(
            [python, str(PEER), "evaluate", *map(str, paths)], check=True, capture_output=True
        )
    return json.loads(run.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev_set", nargs="?", default="/tmp/devset", type=Path)
    parser.add_argument("--peer-python", default="/tmp/venv-idd033/bin/python")
    args = parser.parse_args()
    cases = {"small": (SMALL_TRUTH, SMALL_RETRIEVED), "dev_set": dev_set_case(args.dev_set)}
    out = {
        name: {
            "ground_truth": truth,
            "retrieved": retrieved,
            "expected": expected(args.peer_python, truth, retrieved),
        }
        for name, (truth, retrieved) in cases.items()
    }
    (HERE / "evaluation_cases.json").write_text(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
