"""Encoding throughput, whole process, against peers and the decoding limit, in the same run.

Usage: python benchmarks/encode.py DIR [DIR ...] [--imagededup-python PY] [--immaculate BIN]
           [--models M,M] [--backends openvino,onnxruntime] [--repeat N]

For each folder of images, each round times (images/second, wall clock):
- the decoding limit: every file decoded to the default model's inputs (the image and its
  rotated view), one thread per core, nothing else;
- this library: a fresh ``python`` running ``CNN(model, backend).find_duplicates(image_dir)``,
  the whole process (start-up, model load, encode, search), per model and backend;
- imagededup 0.3.3 ``CNN.encode_images`` in its own venv (``--imagededup-python``). Its default
  model downloads weights at run time, which fails offline, so it runs the same torchvision
  MobileNetV3-small architecture with random weights through its ``CustomModel`` (same compute);
- Immaculate 0.3.0 (``--immaculate``, its CLI) with ``--method sscd_distilled``, the same SSCD
  model as ours, which also searches.
Peers run in subprocesses; imagededup 0.3.3's start-up (imports, model load) is excluded, as it
reports its encode time; Immaculate's whole process is timed. Each is timed by the wall clock
and by the CPU seconds it used (all threads), which a busy shared machine disturbs less. Ratios
are taken within a round; the summary gives their median and range over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from functools import partial
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
    start, cpu = time.perf_counter(), time.process_time()
    encodings = cnn.encode_images(image_dir=sys.argv[1], recursive=True)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"images": len(encodings), "seconds": seconds, "cpu": cpu}))
    """
)


OURS = textwrap.dedent(
    """
    import sys, logging
    logging.disable(logging.WARNING)
    from imagededup.methods import CNN
    cnn = CNN(model=sys.argv[2], backend=sys.argv[3], verbose=False)
    print(len(cnn.find_duplicates(image_dir=sys.argv[1], recursive=True)))
    """
)


def count_images(folder: Path) -> list[Path]:
    from imagededup.images.discover import list_images

    return list_images(folder, recursive=True).paths


Rate = tuple[float, float]
"""Images per wall-clock second, and per CPU second (all threads; steadier on a busy machine)."""


def decode_limit(paths: list[Path]) -> Rate:
    """Decoding alone to the default model's inputs, one thread per core."""
    from imagededup.images.decode import load_views
    from imagededup.images.loader import iter_processed
    from imagededup.models.registry import DEFAULT_MODEL, model_spec

    spec = model_spec(DEFAULT_MODEL)

    def decode(path: Path) -> tuple:
        return load_views(path, spec.input_size, spec.views, spec.view_size)

    start, cpu = time.perf_counter(), time.process_time()
    for _ in iter_processed(paths, decode, len, 64):
        pass
    return len(paths) / (time.perf_counter() - start), len(paths) / (time.process_time() - cpu)


def timed(command: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``command``; its output, wall seconds and CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if result.returncode != 0:
        print(f"{command[0]} failed: {result.stderr[-500:]}", file=sys.stderr)
    return result, seconds, cpu


def ours(folder: Path, model: str, backend: str) -> Rate | None:
    result, seconds, cpu = timed([sys.executable, "-c", OURS, str(folder), model, backend])
    images = int(result.stdout.split()[-1]) if result.returncode == 0 else 0
    return (images / seconds, images / cpu) if images else None


PEER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # not our imagededup


def imagededup_033(folder: Path, python: str) -> Rate | None:
    result, _, _ = timed([python, "-c", IMAGEDEDUP_033, str(folder)], env=PEER_ENV)
    if result.returncode != 0:
        return None
    row = json.loads(result.stdout.strip().splitlines()[-1])
    return row["images"] / row["seconds"], row["images"] / row["cpu"]


def immaculate(folder: Path, binary: str, images: int) -> Rate | None:
    command = [binary, str(folder), "--json", "--method", "sscd_distilled"]
    result, seconds, cpu = timed(command, env=PEER_ENV)
    return (images / seconds, images / cpu) if result.returncode == 0 else None


def one_round(folder: Path, args: argparse.Namespace) -> dict[str, Rate | None]:
    """Rates of every contender on ``folder``, run one after the other, each printed as it ends."""
    paths = count_images(folder)
    runs: dict[str, Callable[[], Rate | None]] = {"decode limit": lambda: decode_limit(paths)}
    for model in args.models.split(","):
        for backend in args.backends.split(","):
            runs[f"{model} {backend}"] = partial(ours, folder, model, backend)
    if args.immaculate:
        runs["Immaculate"] = partial(immaculate, folder, args.immaculate, len(paths))
    if args.imagededup_python:
        runs["imagededup 0.3.3"] = partial(imagededup_033, folder, args.imagededup_python)
    rates = {}
    for name, run in runs.items():
        rates[name] = run()
        wall, cpu = rates[name] or (0, 0)
        print(f"  {folder.name} {name}: {wall:.1f} img/s, {cpu:.1f} img/CPU-s", flush=True)
    return rates


def ratio(rate: Rate | None, base: Rate | None, clock: int) -> float | None:
    return rate[clock] / base[clock] if rate and base else None


def show(values: list[float | None], unit: str = "") -> str:
    """Median and range of a measurement over the rounds."""
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    median = statistics.median(known)
    if len(known) == 1:
        return f"{median:.2f}{unit}"
    return f"{median:.2f}{unit} ({min(known):.2f}-{max(known):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--imagededup-python", help="python of a venv with imagededup 0.3.3")
    parser.add_argument("--immaculate", help="immaculate 0.3.0 executable")
    parser.add_argument(
        "--models", default="sscd_distilled_crops,sscd_distilled,sscd_distilled_fast"
    )
    parser.add_argument("--backends", default="openvino,onnxruntime")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (default: 1)")
    args = parser.parse_args()
    print(f"{len(os.sched_getaffinity(0))} cores; images/second, higher is better")
    for folder in args.folders:
        rounds = [one_round(folder, args) for _ in range(args.repeat)]
        print(
            f"\n{folder.name}: {len(count_images(folder))} images, {args.repeat} rounds,"
            " median (range)"
        )
        print(
            "| contender | clock | img/s | vs imagededup 0.3.3 | vs Immaculate | of decode limit |"
        )
        print("|---" * 6 + "|")
        for name in rounds[0]:
            for clock, label in enumerate(("wall", "CPU")):
                cells = [
                    show([r[name][clock] if r[name] else None for r in rounds]),
                    *(
                        show([ratio(r[name], r.get(base), clock) for r in rounds], "x")
                        for base in ("imagededup 0.3.3", "Immaculate", "decode limit")
                    ),
                ]
                print(f"| {name} | {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
