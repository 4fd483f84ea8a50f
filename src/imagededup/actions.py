"""Move, delete or hard-link duplicates safely: plan first, manifest always, undo for everything.

The rules that keep a user's photos safe:

- ``plan`` only reads. It checks every file and says what would happen to it; a dry run prints
  the plan and stops. ``apply`` carries the plan out.
- A group is left alone when one of its kept files no longer exists or has changed since the
  scan (its SHA-256 differs from the scan record; without a record, the kept file must exist).
  A duplicate is left alone when it changed since the scan, vanished, is a symbolic link, or its
  destination already exists.
- Nothing is ever overwritten: a file is placed with a hard link or an exclusive-create copy
  (verified by SHA-256 before the original goes).
- ``delete`` never unlinks: it moves duplicates into a trash folder beside the manifest, so that
  undo can bring them back. Delete that folder yourself once you are satisfied.
- ``hardlink`` keeps each duplicate's original bytes in the same kind of trash folder, then
  swaps the duplicate for a hard link to the kept file in one rename, so the name never dangles.
- The manifest (what moved where, SHA-256 of every file before the action, time, tool version)
  is written before the first change and again at the end. ``undo`` decides from what it finds
  on disk, so an interrupted run can be undone too, and restores every file byte for byte.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imagededup import __version__
from imagededup.groups import Group
from imagededup.images.info import sha256_file

ACTIONS = ("move", "delete", "hardlink")
MANIFEST_FORMAT = "imagededup-manifest"
MANIFEST_VERSION = 1
# errors of os.link that mean "no hard link here", so a copy has to do
_NO_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP})


@dataclass
class Step:
    """One duplicate and what happens to it: ``file``'s bytes go to ``stored``.

    For ``hardlink``, ``file`` then becomes a hard link to ``kept``. ``skip`` says why the file
    is left alone instead (``None``: it is acted on).
    """

    action: str
    group: int
    file: Path
    kept: Path
    stored: Path
    size: int = 0
    sha256: str = ""
    kept_sha256: str = ""
    skip: str | None = None


@dataclass
class Outcome:
    """A step after ``apply`` or ``undo``: ``error`` is ``None`` when it was done."""

    step: Step
    error: str | None = None


def fresh_names(folder: Path) -> tuple[Path, Path]:
    """A manifest path and a trash folder in ``folder`` that do not exist yet, named by the time.

    Nothing is created: ``apply`` creates the manifest exclusively, so two runs never share one.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffixes = itertools.chain([stamp], (f"{stamp}-{n}" for n in itertools.count(2)))
    names = (
        (folder / f"imagededup-manifest-{s}.json", folder / f"imagededup-trash-{s}")
        for s in suffixes
    )
    return next((m, t) for m, t in names if not os.path.lexists(m) and not os.path.lexists(t))


def plan(
    action: str,
    groups: Sequence[Group],
    root: Path,
    storage: Path,
    recorded_sha256: Mapping[str, str],
) -> list[Step]:
    """What ``action`` would do to the removable files of ``groups`` (nothing is changed).

    ``root`` is the folder the names are relative to; ``storage`` is where the duplicates (or,
    for ``delete`` and ``hardlink``, their original bytes) go, keeping their relative paths.
    ``recorded_sha256`` holds the content hashes of the scan, where there was one. Files that
    are already hard links of the kept file need no step for ``hardlink`` and get none.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    steps = []
    for number, group in enumerate(groups, 1):
        refusal, kept_sha256 = _check_kept(group, root, recorded_sha256)
        kept = root / group.keep[0]
        for name in group.remove:
            step = Step(action, number, root / name, kept, storage / name, skip=refusal)
            step.kept_sha256 = kept_sha256
            if refusal is None:
                step.skip = _check_duplicate(step, recorded_sha256.get(name))
                if step.skip == _ALREADY_LINKED:
                    continue
            steps.append(step)
    return steps


_ALREADY_LINKED = "already a hard link to the kept file"


def _check_kept(
    group: Group, root: Path, recorded_sha256: Mapping[str, str]
) -> tuple[str | None, str]:
    """Why the group must be left alone (or ``None``), and the first kept file's SHA-256."""
    hashes = []
    for name in group.keep:
        path = root / name
        if not path.is_file():
            return f"kept file {name} no longer exists", ""
        digest = sha256_file(path)
        if name in recorded_sha256 and recorded_sha256[name] != digest:
            return f"kept file {name} changed since the scan", ""
        hashes.append(digest)
    return None, hashes[0]


def _check_duplicate(step: Step, recorded: str | None) -> str | None:
    """Why this duplicate must be left alone, or ``None``; fills in its size and SHA-256."""
    path = step.file
    if path.is_symlink():
        return "is a symbolic link (left alone)"
    if not path.exists():
        return "no longer exists"
    if not path.is_file():
        return "is not a regular file"
    if path.resolve() == step.kept.resolve():
        return "is the kept file itself"
    if step.action == "hardlink" and os.path.samefile(path, step.kept):
        return _ALREADY_LINKED
    step.size = path.stat().st_size
    step.sha256 = sha256_file(path)
    if recorded is not None and recorded != step.sha256:
        return "changed since the scan"
    if step.action == "hardlink" and path.stat().st_dev != step.kept.stat().st_dev:
        return f"on another file system than {step.kept}: a hard link cannot cross it"
    if os.path.lexists(step.stored):
        return f"{step.stored} already exists (never overwritten)"
    return None


def apply(
    steps: Sequence[Step],
    manifest: Path,
    root: Path,
    storage: Path,
    report: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Carry out the steps that are not skipped; ``report`` is told of each as it completes.

    The manifest is written before the first change and rewritten with each step's status at
    the end. A failed step leaves its file as it was.
    """
    todo = [step for step in steps if step.skip is None]
    if not todo:
        return []
    entries = [_entry(step, "planned") for step in todo]
    header = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "tool_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": todo[0].action,
        "root": str(root),
        "storage": str(storage),
    }
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with manifest.open("x", encoding="utf-8") as handle:  # never reuse another run's manifest
        json.dump({**header, "entries": entries}, handle, indent=1, ensure_ascii=True)
    outcomes = []
    for step, entry in zip(todo, entries, strict=True):
        outcome = Outcome(step, _attempt(_ACT[step.action], step))
        entry["status"] = "done" if outcome.error is None else f"failed: {outcome.error}"
        outcomes.append(outcome)
        report(outcome)
    _write_json(manifest, {**header, "entries": entries})
    return outcomes


def plan_undo(manifest: Path) -> list[Step]:
    """The steps that restore what ``manifest`` recorded; skips say why a file cannot be.

    Files that are already back in place need nothing and get no step.
    """
    data = _read_manifest(manifest)
    steps = []
    for entry in data["entries"]:
        step = Step(
            entry["action"],
            entry["group"],
            Path(entry["file"]),
            Path(entry["kept"]),
            Path(entry["stored"]),
            entry["size"],
            entry["sha256"],
            entry["kept_sha256"],
        )
        state = _undo_state(step)
        if state != _ALREADY_RESTORED:
            step.skip = state
            steps.append(step)
    return steps


_ALREADY_RESTORED = "already in place"


def _undo_state(step: Step) -> str | None:
    """Why ``step`` cannot be undone, ``_ALREADY_RESTORED``, or ``None`` when it can."""
    original = step.file
    if not step.stored.is_file():
        if original.is_file() and sha256_file(original) == step.sha256:
            return _ALREADY_RESTORED
        return f"the stored copy {step.stored} is missing"
    if sha256_file(step.stored) != step.sha256:
        return f"the stored copy {step.stored} changed since the action (left alone)"
    if os.path.lexists(original):
        if step.action != "hardlink":
            return f"{original} exists again (never overwritten)"
        still_linked = original.is_file() and (
            (step.kept.exists() and os.path.samefile(original, step.kept))
            or sha256_file(original) == step.kept_sha256
        )
        if not still_linked:
            return f"{original} changed after it was linked (left alone)"
    return None


def undo(
    steps: Sequence[Step], manifest: Path, report: Callable[[Outcome], None] = lambda o: None
) -> list[Outcome]:
    """Restore every file that ``plan_undo`` cleared, byte for byte, and mark the manifest.

    Empty folders left in a trash folder are removed, and the trash folder with them.
    """
    data = _read_manifest(manifest)
    status: dict[str, str] = {}
    outcomes = []
    for step in steps:
        if step.skip is not None:
            status[str(step.file)] = f"not restored: {step.skip}"
            continue
        outcome = Outcome(step, _attempt(_restore, step))
        status[str(step.file)] = "restored" if outcome.error is None else outcome.error
        outcomes.append(outcome)
        report(outcome)
    for entry in data["entries"]:
        entry["status"] = status.get(entry["file"], entry["status"])
    if all(value == "restored" for value in status.values()):
        data["undone"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_json(manifest, data)
    if data["action"] in ("delete", "hardlink"):
        _remove_empty_folders(Path(data["storage"]))
    return outcomes


def _attempt(function: Callable[[Step], None], step: Step) -> str | None:
    try:
        function(step)
    except OSError as exc:
        return str(exc)
    return None


def _move(step: Step) -> None:
    _place(step.file, step.stored, step.sha256)
    try:
        step.file.unlink()
    except OSError:
        step.stored.unlink()
        raise


def _hardlink(step: Step) -> None:
    _place(step.file, step.stored, step.sha256)
    try:
        _swap_in(step.file, lambda temporary: os.link(step.kept, temporary))
    except OSError:
        step.stored.unlink()
        raise


def _restore(step: Step) -> None:
    if step.action == "hardlink":
        _swap_in(step.file, lambda temporary: _place(step.stored, temporary, step.sha256))
    else:
        _place(step.stored, step.file, step.sha256)
    step.stored.unlink()


def _swap_in(path: Path, make: Callable[[Path], None]) -> None:
    """Replace ``path`` in one rename by what ``make`` creates (exclusively) at a temporary name
    beside it, so that ``path`` never goes missing; the temporary is removed on failure."""
    temporary = path.with_name(f".{path.name}.imagededup-tmp")
    make(temporary)  # fails, touching nothing, if the temporary name is taken
    try:
        os.replace(temporary, path)
    except OSError:
        temporary.unlink()
        raise


_ACT: dict[str, Callable[[Step], None]] = {"move": _move, "delete": _move, "hardlink": _hardlink}


def _place(source: Path, target: Path, sha256: str) -> None:
    """Make ``target`` hold ``source``'s bytes without ever overwriting anything.

    A hard link when the file system allows it (instant, same inode, same dates), else an
    exclusive-create copy with its dates and mode, checked against ``sha256``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
        return
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
    with source.open("rb") as reader, target.open("xb") as writer:
        shutil.copyfileobj(reader, writer)
    shutil.copystat(source, target)
    if sha256_file(target) != sha256:
        target.unlink()
        raise OSError(f"the copy of {source} at {target} differs from the original")


def _entry(step: Step, status: str) -> dict:
    return {
        "action": step.action,
        "group": step.group,
        "file": str(step.file),
        "kept": str(step.kept),
        "stored": str(step.stored),
        "size": step.size,
        "sha256": step.sha256,
        "kept_sha256": step.kept_sha256,
        "status": status,
    }


def _read_manifest(manifest: Path) -> dict:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{manifest} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{manifest} is not an imagededup manifest")
    if data.get("version") != MANIFEST_VERSION:
        raise ValueError(f"{manifest} has manifest version {data.get('version')}, not 1")
    return data


def _write_json(path: Path, data: dict) -> None:
    """Replace ``path`` in one rename, so a crash never leaves half a manifest."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=1, ensure_ascii=True), encoding="utf-8")
    os.replace(temporary, path)


def _remove_empty_folders(folder: Path) -> None:
    """Remove ``folder`` and the folders below it, deepest first, where they are empty."""
    if not folder.is_dir():
        return
    for current, _, _ in sorted(os.walk(folder), key=lambda item: -len(item[0])):
        with contextlib.suppress(OSError):  # not empty: a file the action did not put there
            os.rmdir(current)
