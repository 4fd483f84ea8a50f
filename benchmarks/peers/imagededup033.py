"""Run imagededup 0.3.3 for comparisons; execute with the Python of a venv that has it installed.

    python -m venv /tmp/venv-idd033 && /tmp/venv-idd033/bin/pip install --no-deps \\
        imagededup==0.3.3.post2 && /tmp/venv-idd033/bin/pip install numpy pillow scipy \\
        PyWavelets scikit-learn matplotlib tqdm imagehash

0.3.3 imports torch when its package is imported, for its CNN only; hashing, evaluation and
plots never call it, so this script installs an inert stand-in instead of a 2 GB dependency.

    hashes FILE...          {file: {"phash": hex, "dhash": hex, "ahash": hex, "whash": hex}}
    bench DIR [THRESHOLD]   seconds for PHash encode_images + find_duplicates on DIR
    evaluate GT RETRIEVED   evaluate(ground_truth, retrieved, "all") on two JSON maps
    duplicates DIR [THRESHOLD]  PHash find_duplicates(image_dir=DIR) at THRESHOLD (default 10)
    compat DIR [THRESHOLD]  per hash: encode_images(DIR), and find_duplicates(image_dir=DIR,
                            scores=True) and find_duplicates_to_remove at THRESHOLD (default 10)
All commands print JSON on stdout.
"""

import json
import sys
import time
import types


class _Inert(type):
    def __getattr__(cls, name):
        return cls


class _Anything(metaclass=_Inert):
    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self


class _InertModule(types.ModuleType):
    def __getattr__(self, name):
        return _Anything


for _name in (
    "torch",
    "torch.nn",
    "torch.utils",
    "torch.utils.data",
    "torchvision",
    "torchvision.models",
    "torchvision.models.vision_transformer",
    "torchvision.transforms",
):
    sys.modules[_name] = _InertModule(_name)

from imagededup.evaluation import evaluate  # noqa: E402
from imagededup.methods import AHash, DHash, PHash, WHash  # noqa: E402


def hashes(files):
    methods = {"phash": PHash, "dhash": DHash, "ahash": AHash, "whash": WHash}
    hashers = {name: cls(verbose=False) for name, cls in methods.items()}
    return {f: {name: h.encode_image(image_file=f) for name, h in hashers.items()} for f in files}


def bench(image_dir, threshold=10):
    phash = PHash(verbose=False)
    start = time.perf_counter()
    encodings = phash.encode_images(image_dir)
    encoded = time.perf_counter()
    phash.find_duplicates(encoding_map=encodings, max_distance_threshold=threshold)
    end = time.perf_counter()
    return {"images": len(encodings), "encode_s": encoded - start, "search_s": end - encoded}


def duplicates(image_dir, threshold=10):
    return PHash(verbose=False).find_duplicates(
        image_dir=image_dir, max_distance_threshold=threshold
    )


def compat(image_dir, threshold=10):
    methods = {"phash": PHash, "dhash": DHash, "ahash": AHash, "whash": WHash}
    out = {}
    for name, cls in methods.items():
        hasher = cls(verbose=False)
        out[name] = {
            "hashes": hasher.encode_images(image_dir),
            "duplicates": hasher.find_duplicates(
                image_dir=image_dir, max_distance_threshold=threshold, scores=True
            ),
            "to_remove": hasher.find_duplicates_to_remove(
                image_dir=image_dir, max_distance_threshold=threshold
            ),
        }
    return out


def evaluate_files(ground_truth, retrieved):
    with open(ground_truth) as a, open(retrieved) as b:
        result = evaluate(json.load(a), json.load(b), metric="all")
    return {k: v.tolist() if hasattr(v, "tolist") else v for k, v in result.items()}


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "hashes":
        out = hashes(args)
    elif command == "bench":
        out = bench(args[0], *(int(a) for a in args[1:]))
    elif command == "duplicates":
        out = duplicates(args[0], *(int(a) for a in args[1:]))
    elif command == "compat":
        out = compat(args[0], *(int(a) for a in args[1:]))
    elif command == "evaluate":
        out = evaluate_files(*args)
    else:
        raise SystemExit(__doc__)
    json.dump(out, sys.stdout)
