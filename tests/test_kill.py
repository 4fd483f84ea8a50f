"""A real SIGKILL at random moments of ``act`` and then of ``undo``, over a few hundred files, on
one file system and with every hard link refused (the copy path); ``undo`` run to completion
afterwards brings every file back byte for byte."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imagededup.actions import plan_undo, undo
from tests.conftest import EXAMPLES

FILES = 300
CHILD = """
import errno, os, sys
from pathlib import Path
from imagededup.actions import apply, fresh_names, plan, plan_undo, undo
from imagededup.groups import Group

phase, root, base, mode = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
if mode == "copy":
    def no_link(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    os.link = no_link
if phase == "act":
    names = sorted(path.name for path in root.iterdir())
    groups = [Group([a, b], [a]) for a, b in zip(names[::2], names[1::2])]
    manifest, storage = fresh_names(base)
    steps = plan("delete", groups, root, storage, {})
    print("go", flush=True)
    apply(steps, manifest, root, storage)
else:
    manifest = next(base.glob("imagededup-manifest-*.json"))
    record, steps = plan_undo(manifest)
    print("go", flush=True)
    undo(record, steps, manifest)
print("done", flush=True)
"""


def library(base: Path) -> dict[str, bytes]:
    """``FILES`` small real JPEGs with different bytes (a comment after the image's end)."""
    root = base / "library"
    root.mkdir(parents=True)
    photo = (EXAMPLES / "chelsea_small.jpg").read_bytes()
    files = {f"{n:04d}.jpg": photo + f"copy {n}".encode() for n in range(FILES)}
    for name, data in files.items():
        (root / name).write_bytes(data)
    return files


def started(phase: str, base: Path, mode: str) -> subprocess.Popen:
    """``phase`` running in a child process, past its imports and its plan."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, phase, str(base / "library"), str(base), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "go", child.stderr.read()
    return child


def duration(phase: str, base: Path, mode: str) -> float:
    """Seconds that ``phase`` takes to act on every file, uninterrupted."""
    child = started(phase, base, mode)
    begin = time.perf_counter()
    assert child.stdout.read().strip() == "done", child.stderr.read()
    child.wait()
    return time.perf_counter() - begin


def killed(phase: str, base: Path, mode: str, after: float) -> bool:
    """Run ``phase`` in a child and SIGKILL it ``after`` seconds; whether it was cut short."""
    child = started(phase, base, mode)
    time.sleep(after)
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read()
    child.wait()
    return "done" not in rest


def undo_to_completion(base: Path) -> None:
    for manifest in base.glob("imagededup-manifest-*.json"):
        for _ in range(3):
            record, steps = plan_undo(manifest)
            undo(record, steps, manifest)
            if not steps:
                break
        assert plan_undo(manifest)[1] == []


@pytest.mark.parametrize("mode", ["link", "copy"])
def test_sigkill_during_act_and_undo_loses_nothing(tmp_path, mode):
    rng = random.Random(11)
    library(tmp_path / "timing")
    took = {phase: duration(phase, tmp_path / "timing", mode) for phase in ("act", "undo")}
    kills = cut_short = 0
    for round_ in range(4):
        base = tmp_path / f"round{round_}"
        files = library(base)
        for phase in ("act", "undo"):
            if any(base.glob("imagededup-manifest-*.json")) or phase == "act":
                kills += 1
                cut_short += killed(phase, base, mode, rng.uniform(0, took[phase]))
        undo_to_completion(base)
        root = base / "library"
        assert sorted(path.name for path in root.iterdir()) == sorted(files)
        for name, data in files.items():
            assert (root / name).read_bytes() == data, name
        assert not [path for path in base.iterdir() if path.name.startswith("imagededup-trash")]
        shutil.rmtree(base)
    print(f"\n{mode}: {cut_short} of {kills} SIGKILLs cut a run short; all files back")
