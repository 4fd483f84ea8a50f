"""Encoding throughput, end to end, against peers on the same folders in the same run.

Usage: python benchmarks/encode.py DIR [DIR ...] [--imagededup-python PY] [--immaculate BIN]

For each folder of images, times (images/second, wall clock, 2 cores here):
- this library: ``CNN().encode_images`` and ``find_duplicates`` (encode + search), in-process;
- imagededup 0.3.3 ``CNN.encode_images`` in its own venv (``--imagededup-python``). Its default
  model downloads weights at run time, which fails offline, so it runs the same torchvision
  MobileNetV3-small architecture with random weights through its ``CustomModel`` (same compute);
- Immaculate 0.3.0 (``--immaculate``, its CLI) with ``--method sscd_distilled``, the same SSCD
  model as ours, which also searches.
Peers run in subprocesses; their start-up (imports, model load) is excluded where they report it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

IMAGEDEDUP_033 = textwrap.dedent(
    """
    import sys, time, json, logging
    logging.disable(logging.WARNING)
    import torch, torchvision
    from imagededup.methods import CNN
    from imagededup.utils.models import CustomModel, MobilenetV3

    class RandomMobilenetV3(torch.nn.Module):  # same layers as imagededup's default, no download
        def __init__(self):
            super().__init__()
            net = torchvision.models.mobilenet_v3_small(weights=None).eval()
            self.mobilenet_gap_op = torch.nn.Sequential(net.features, net.avgpool)

        def forward(self, x):
            return self.mobilenet_gap_op(x).squeeze(dim=3).squeeze(dim=2)

    config = CustomModel(model=RandomMobilenetV3(), transform=MobilenetV3.transform, name="mnv3")
    cnn = CNN(verbose=False, model_config=config)
    start = time.perf_counter()
    encodings = cnn.encode_images(image_dir=sys.argv[1], recursive=True)
    print(json.dumps({"images": len(encodings), "seconds": time.perf_counter() - start}))
    """
)


def count_images(folder: Path) -> int:
    from imagededup.images.discover import list_images

    return len(list_images(folder, recursive=True).names)


def ours(folder: Path, model: str) -> dict[str, float]:
    from imagededup.methods import CNN

    cnn = CNN(model=model, verbose=False)
    start = time.perf_counter()
    encodings = cnn.encode_images(folder, recursive=True)
    encode = time.perf_counter() - start
    start = time.perf_counter()
    cnn.find_duplicates(encoding_map=encodings)
    search = time.perf_counter() - start
    return {"encode": len(encodings) / encode, "end_to_end": len(encodings) / (encode + search)}


def imagededup_033(folder: Path, python: str) -> float | None:
    result = subprocess.run(
        [python, "-c", IMAGEDEDUP_033, str(folder)], capture_output=True, text=True
    )
    if result.returncode != 0:
        print(f"imagededup 0.3.3 failed: {result.stderr[-500:]}", file=sys.stderr)
        return None
    row = json.loads(result.stdout.strip().splitlines()[-1])
    return row["images"] / row["seconds"]


def immaculate(folder: Path, binary: str, images: int) -> float | None:
    start = time.perf_counter()
    result = subprocess.run(
        [binary, str(folder), "--json", "--method", "sscd_distilled"],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(f"immaculate failed: {result.stderr[-500:]}", file=sys.stderr)
        return None
    return images / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--imagededup-python", help="python of a venv with imagededup 0.3.3")
    parser.add_argument("--immaculate", help="immaculate 0.3.0 executable")
    parser.add_argument("--models", default="sscd_distilled,sscd_distilled_fast")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; images/second, higher is better")
    print(
        "| folder | images | model | ours encode | ours end-to-end | imagededup 0.3.3"
        " | Immaculate | ours/imagededup | ours/Immaculate |"
    )
    print("|---" * 9 + "|")
    for folder in args.folders:
        images = count_images(folder)
        old = imagededup_033(folder, args.imagededup_python) if args.imagededup_python else None
        imm = immaculate(folder, args.immaculate, images) if args.immaculate else None
        for model in args.models.split(","):
            rate = ours(folder, model)
            ratios = [f"{rate['end_to_end'] / p:.1f}x" if p else "n/a" for p in (old, imm)]
            print(
                f"| {folder.name} | {images} | {model} | {rate['encode']:.1f} |"
                f" {rate['end_to_end']:.1f} | {old or 0:.1f} | {imm or 0:.1f} |"
                f" {ratios[0]} | {ratios[1]} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
