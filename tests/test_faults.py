"""Fault injection: every file-system call of ``act`` and ``undo`` fails in turn (ENOSPC, EIO,
EACCES, or the process "dies" there), over move, a move across file systems (the copy path),
delete and hard link. After each, ``undo`` run to completion must bring back every file byte
for byte, leave nothing of imagededup's in the root, and change nothing outside the root."""

from __future__ import annotations

import errno
import functools
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from imagededup.actions import apply, fresh_names, plan, plan_undo, undo
from imagededup.actions.manifest import ManifestError
from imagededup.groups import Group
from imagededup.images.info import sha256_file
from tests.conftest import EXAMPLES

# the calls through which imagededup changes (or reads, to copy) files
CALLS = (
    "open", "read", "write", "fsync", "close", "link", "rename", "replace", "unlink", "mkdir",
    "rmdir", "utime", "chmod",
)  # fmt: skip
ERRORS = {"ENOSPC": errno.ENOSPC, "EIO": errno.EIO, "EACCES": errno.EACCES}
TOTALS: Counter = Counter()


class Killed(BaseException):
    """The process dies at this call: nothing after it runs, no handler cleans up."""


class Faults:
    """Wraps ``os``'s calls: counts them, fails the ``fail_at``-th one with ``fault``, and
    (``cross_device``) refuses every hard link, as between two file systems."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cross_device: bool) -> None:
        self.calls = 0
        self.fail_at: int | None = None
        self.fault: str | None = None
        self.fired = False
        self.cross_device = cross_device
        for name in CALLS:
            monkeypatch.setattr(os, name, self._wrap(name, getattr(os, name)))

    def _wrap(self, name: str, real: Callable) -> Callable:
        def call(*args, **kwargs):
            if self.fail_at is not None:
                self.calls += 1
                if self.calls == self.fail_at:
                    self.fired = True
                    if self.fault == "kill":
                        raise Killed
                    raise OSError(ERRORS[self.fault], os.strerror(ERRORS[self.fault]))
            if self.cross_device and name == "link":
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            if name == "fsync":  # counted and failed like the others; a real one only costs time
                return None
            return real(*args, **kwargs)

        return call

    def run(self, function: Callable, fail_at: int, fault: str):
        """``function()`` with the ``fail_at``-th call failing. A simulated kill ends it; so may
        the injected error (the command line reports it, exit code 2)."""
        self.calls, self.fail_at, self.fault, self.fired = 0, fail_at, fault, False
        try:
            return function()
        except (Killed, OSError):
            return None
        finally:
            self.fail_at = None


FILES = ["a.jpg", "sub/a_copy.jpg", "b.jpg", "deep/er/b_small.jpg"]
GROUPS = [
    Group(["a.jpg", "sub/a_copy.jpg"], ["a.jpg"]),
    Group(["b.jpg", "deep/er/b_small.jpg"], ["b.jpg"]),
]


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, bytes]:
    """Small real JPEGs made from the example photos, all different bytes."""
    folder = tmp_path_factory.mktemp("small")
    made = {}
    sources = ["astronaut", "astronaut", "chelsea", "chelsea"]
    for number, (name, source) in enumerate(zip(FILES, sources, strict=True)):
        with Image.open(EXAMPLES / f"{source}.jpg") as im:
            small = im.convert("RGB").resize((24 + number, 24))
        small.save(folder / "x.jpg", quality=80)
        made[name] = (folder / "x.jpg").read_bytes()
    return made


def make_library(base: Path, images: dict[str, bytes]) -> Path:
    root = base / "library"
    for name, data in images.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (base / "outside").mkdir()
    (base / "outside" / "keep-me.jpg").write_bytes(images["a.jpg"])
    return root


def state(base: Path) -> dict[str, str]:
    """Every file under ``base`` with its SHA-256, but imagededup's own (manifests, storage)."""
    return {
        path.relative_to(base).as_posix(): sha256_file(path)
        for path in sorted(base.rglob("*"))
        if path.is_file() and not _own(path.relative_to(base))
    }


def _own(name: Path) -> bool:
    return name.parts[0] == "moved" or "imagededup" in name.parts[0]


def run_act(action: str, root: Path, base: Path) -> tuple[Path, Path]:
    if action == "move":
        storage = base / "moved"
        manifest, _ = fresh_names(storage)
    else:
        manifest, storage = fresh_names(base)
    steps = plan(action, GROUPS, root, storage, {})
    apply(steps, manifest, root, storage)
    return manifest, storage


def undo_to_completion(manifest: Path) -> None:
    """Undo until nothing is left to restore (a second pass must find nothing to do)."""
    if not manifest.exists():
        return
    for _ in range(3):
        record, steps = plan_undo(manifest)
        undo(record, steps, manifest)
        if not steps:
            return
    raise AssertionError([step.skip for step in plan_undo(manifest)[1]])


MODES = [
    ("move", False),
    ("move", True),  # another file system: no hard links, every file is copied
    ("delete", False),
    ("delete", True),
    ("hardlink", False),
]


def check_restored(base: Path, root: Path, before: dict[str, str]) -> None:
    after = state(base)
    lost = sum(len((root.parent / name).read_bytes()) for name in before if name not in after)
    changed = [name for name in before if name in after and after[name] != before[name]]
    TOTALS["files checked"] += len(before)
    TOTALS["bytes lost"] += lost + sum((base / name).stat().st_size for name in changed)
    assert after == before, {"missing": set(before) - set(after), "changed": changed,
                             "extra": set(after) - set(before)}  # fmt: skip
    leftovers = [p for p in root.rglob("*") if "imagededup" in p.name]
    assert leftovers == []
    for storage in [base / "moved", *base.glob("imagededup-trash-*")]:
        assert not any(p.suffix == ".jpg" for p in storage.rglob("*")), list(storage.rglob("*"))


@pytest.mark.parametrize(("action", "cross_device"), MODES)
@pytest.mark.parametrize("phase", ["act", "undo"])
def test_a_fault_at_any_call_loses_nothing(
    tmp_path, images, monkeypatch, action, cross_device, phase
):
    faults = Faults(monkeypatch, cross_device)
    clean = tmp_path / "clean"
    root = make_library(clean, images)
    faults.run(lambda: run_act(action, root, clean), fail_at=0, fault="EIO")
    calls = faults.calls if phase == "act" else 0
    if phase == "undo":
        manifest = next(clean.rglob("imagededup-manifest-*.json"))
        faults.run(lambda: undo_to_completion(manifest), fail_at=0, fault="EIO")
        calls = faults.calls
    assert calls > 10
    run = 0
    for fail_at in range(1, calls + 1):
        error = list(ERRORS)[fail_at % len(ERRORS)]  # they take the same paths: one per call
        for fault in (error, "kill"):
            run += 1
            base = tmp_path / f"run{run}"
            root = make_library(base, images)
            before = state(base)
            if phase == "act":
                faults.run(functools.partial(run_act, action, root, base), fail_at, fault)
            else:
                manifest, _ = run_act(action, root, base)
                faults.run(functools.partial(undo_to_completion, manifest), fail_at, fault)
            TOTALS["calls failed"] += faults.fired
            manifests = list(base.rglob("imagededup-manifest-*.json"))
            assert len(manifests) <= 1
            for manifest in manifests:
                undo_to_completion(manifest)
            check_restored(base, root, before)
    print(f"\n{phase} {action}{' (copy)' if cross_device else ''}: {dict(TOTALS)}")


def test_undo_of_a_manifest_that_was_never_written_is_refused(tmp_path):
    (tmp_path / "m.json").write_text("{")
    with pytest.raises(ManifestError):
        plan_undo(tmp_path / "m.json")
