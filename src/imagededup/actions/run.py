"""Plan, apply and undo a file action: checks first, the manifest before any change, undo from
what is on disk."""

from __future__ import annotations

import errno
import functools
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from imagededup.actions import safe_fs
from imagededup.actions.base import Action, Outcome, put_back
from imagededup.actions.delete import Delete
from imagededup.actions.hardlink import ALREADY_LINKED, Hardlink
from imagededup.actions.manifest import Manifest, ManifestError, Step, read_manifest
from imagededup.actions.move import Move
from imagededup.groups import Group

logger = logging.getLogger("imagededup")

# A new action is one class in its own module and one entry here; the CLI lists them.
ACTIONS: dict[str, Action] = {action.name: action for action in (Move(), Delete(), Hardlink())}


def action_named(name: str) -> Action:
    """The action called ``name``; ``ValueError`` lists the known ones."""
    if name not in ACTIONS:
        raise ValueError(f"unknown action {name!r}: use one of {', '.join(ACTIONS)}")
    return ACTIONS[name]


def removed_files(group: Group) -> list[str]:
    """The files of ``group`` that an action takes away: every file that is not kept.

    The one place that decides it; keep policies and reference folders shape ``group.keep``.
    """
    return group.remove


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
    ``recorded_sha256`` holds the content hashes of the scan, where there was one. A file that
    cannot be read leaves its group alone, with the reason; the other groups go on.
    """
    chosen = action_named(action)
    steps = []
    for number, group in enumerate(groups, 1):
        try:
            refusal, kept_sha256 = _check_kept(group, root, recorded_sha256)
        except OSError as exc:
            refusal, kept_sha256 = f"a kept file {_UNREADABLE}: {_reason(exc)}", ""
        group_steps = []
        for name in removed_files(group):
            step = Step(action, number, root / name, root / group.keep[0], storage / name)
            step.kept_sha256, step.skip = kept_sha256, refusal
            if refusal is None:
                try:
                    step.skip = _check_duplicate(
                        chosen, step, recorded_sha256.get(name), root, storage
                    )
                except OSError as exc:
                    step.skip = f"{_UNREADABLE}: {_reason(exc)}"
            if step.skip != ALREADY_LINKED:
                group_steps.append(step)
        if any(step.skip and step.skip.startswith(_UNREADABLE) for step in group_steps):
            for step in group_steps:  # one unreadable file leaves its whole group alone
                step.skip = step.skip or f"another file of its group {_UNREADABLE}"
        steps += group_steps
    _spare_link_targets(steps, groups, root)
    return steps


_UNREADABLE = "cannot be read"


def _check_kept(
    group: Group, root: Path, recorded_sha256: Mapping[str, str]
) -> tuple[str | None, str]:
    """Why the group must be left alone (or ``None``), and the first kept file's SHA-256."""
    hashes = []
    for name in group.keep:
        path = root / name
        if not safe_fs.real_inside(path, root):
            return f"kept file {name} is reached through a symbolic link out of {root}", ""
        if safe_fs.in_own_output(path, root):
            return f"kept file {name} is in a folder imagededup moved files into", ""
        if not path.is_file():
            return f"kept file {name} no longer exists", ""
        digest = safe_fs.sha256_of(path.resolve())
        if name in recorded_sha256 and recorded_sha256[name] != digest:
            return f"kept file {name} changed since the scan", ""
        hashes.append(digest)
    return None, hashes[0]


def _check_duplicate(
    action: Action, step: Step, recorded: str | None, root: Path, storage: Path
) -> str | None:
    """Why this duplicate must be left alone, or ``None``; fills in its size and SHA-256."""
    path = step.file
    if path.is_symlink():
        return "is a symbolic link (left alone)"
    if not os.path.lexists(path):
        return "no longer exists"
    if not safe_fs.real_inside(path, root):
        return f"is reached through a symbolic link out of {root} (left alone)"
    if not safe_fs.is_regular(path):
        return "is not a regular file"
    if path.resolve() == step.kept.resolve():
        return "is the kept file itself"
    if not safe_fs.real_inside(step.stored, storage):
        return f"{step.stored} leaves {storage} through a symbolic link (never written through)"
    refusal = action.check(step)
    if refusal is not None:
        return refusal
    step.size = os.lstat(path).st_size
    step.sha256 = safe_fs.sha256_of(path)
    if recorded is not None and recorded != step.sha256:
        return "changed since the scan"
    if os.path.lexists(step.stored):
        return f"{step.stored} already exists (never overwritten)"
    return None


def _spare_link_targets(steps: Sequence[Step], groups: Sequence[Group], root: Path) -> None:
    """Leave alone every file that a kept symbolic link points to, so no kept link dangles."""
    targets = {}
    for group in groups:
        for name in group.keep:
            path = root / name
            real = Path(os.path.realpath(path))
            if real != Path(os.path.abspath(path)):
                targets[real] = name
    for step in steps:
        target = targets.get(Path(os.path.realpath(step.file)))
        if step.skip is None and target is not None:
            step.skip = f"the kept file {target} is a symbolic link to it (left alone)"


def apply(
    steps: Sequence[Step],
    manifest: Path,
    root: Path,
    storage: Path,
    report: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Carry out the steps that are not skipped; ``report`` is told of each as it completes.

    The manifest, listing every step and every folder the run makes, is written and fsynced,
    and the storage folder made and marked (scans skip it), before the first file changes. Each
    step then either completes or leaves its file as it was; the manifest gets each step's
    status at the end. A step that fails does not stop the others.
    """
    todo = [step for step in steps if step.skip is None]
    if not todo:
        return []
    action = action_named(todo[0].action)
    record = Manifest(action.name, root, storage, todo, _folders_made(storage, todo))
    try:
        _prepare(manifest, storage, record)
    except OSError:
        safe_fs.remove_empty_folders(record.folders)
        raise
    outcomes = []
    for step in todo:
        outcome = Outcome(step, _attempt(action.apply, step))
        outcomes.append(outcome)
        report(outcome)
    record.statuses = [
        "done" if outcome.error is None else f"failed: {outcome.error}" for outcome in outcomes
    ]
    _rewrite(manifest, record)
    return outcomes


def _prepare(manifest: Path, storage: Path, record: Manifest) -> None:
    """Write the manifest and make the marked storage folder, in the order that leaves nothing
    unmarked or unrecorded if the process dies in between: the storage first when the manifest
    lies in it (a move), else the manifest first (a trash folder beside it)."""

    def write() -> None:
        safe_fs.make_folders(manifest.parent)
        safe_fs.write_json(manifest, record.document(), exclusive=True)

    def make_storage() -> None:
        safe_fs.make_folders(storage)
        safe_fs.mark_output(storage)

    for prepare in (
        (make_storage, write) if manifest.is_relative_to(storage) else (write, make_storage)
    ):
        prepare()


def _folders_made(storage: Path, steps: Sequence[Step]) -> list[Path]:
    """The folders that do not exist yet and that the run will make: storage and below."""
    wanted = {storage}
    for step in steps:
        wanted.update(p for p in step.stored.parents if p.is_relative_to(storage))
    return sorted(folder for folder in wanted if not os.path.lexists(folder))


def plan_undo(manifest: Path) -> tuple[Manifest, list[Step]]:
    """The checked manifest and the steps that restore what it recorded (nothing is changed).

    Files already back in place need nothing and get no step; a step's ``skip`` says why a
    file cannot be restored. Raises ``ManifestError`` for a manifest that is malformed or
    reaches outside its root and its marked storage folder.
    """
    record = read_manifest(manifest, ACTIONS)
    _check_containment(record)
    action = ACTIONS[record.action]
    steps = []
    for step in record.steps:
        try:
            state = _undo_state(action, step)
            if state == _ALREADY_RESTORED and not _leftovers(action, step):
                continue
        except OSError as exc:
            state = f"cannot be read: {_reason(exc)}"
        step.skip = None if state == _ALREADY_RESTORED else state
        steps.append(step)
    return record, steps


def _check_containment(record: Manifest) -> None:
    """Refuse a manifest whose storage imagededup did not make (a storage folder that is gone,
    or empty, has nothing to restore from), or whose paths leave the root or the storage folder
    through symbolic links."""
    if not (safe_fs.is_marked(record.storage) or safe_fs.is_empty_or_gone(record.storage)):
        raise ManifestError(
            f"{record.storage} is not a folder imagededup moved files into (no marker): refused"
        )
    for step in record.steps:
        for path, folder in ((step.file, record.root), (step.stored, record.storage)):
            if not safe_fs.real_inside(path, folder):
                raise ManifestError(f"{path} leaves {folder} through a symbolic link: refused")


_ALREADY_RESTORED = "already in place"


def _undo_state(action: Action, step: Step) -> str | None:
    """Why ``step`` cannot be undone, ``_ALREADY_RESTORED``, or ``None`` when it can."""
    if action.in_place(step):
        return _ALREADY_RESTORED
    if not safe_fs.is_regular(step.stored):
        return f"the stored copy {step.stored} is missing"
    if not _stored_intact(step):
        return f"the stored copy {step.stored} changed since the action (left alone)"
    if not os.path.lexists(step.file) or safe_fs.is_prefix_copy(step.file, step.stored):
        return None
    return action.restore_over(step)


def _leftovers(action: Action, step: Step) -> list[Path]:
    """What an interrupted run left of this step: temporary copies, and the stored copy once
    the original is back. Each holds bytes that exist whole in another file, so removing it
    loses nothing."""
    whole = [path for path in (step.file, step.stored, step.kept) if safe_fs.is_regular(path)]
    found = [
        temporary
        for temporary in (safe_fs.temporary_name(step.file), safe_fs.temporary_name(step.stored))
        if any(safe_fs.is_prefix_copy(temporary, path) for path in whole)
    ]
    if action.in_place(step) and _stored_intact(step):
        found.append(step.stored)
    return found


def _stored_intact(step: Step) -> bool:
    return safe_fs.is_regular(step.stored) and safe_fs.sha256_of(step.stored) == step.sha256


def undo(
    record: Manifest,
    steps: Sequence[Step],
    manifest: Path,
    report: Callable[[Outcome], None] = lambda o: None,
) -> list[Outcome]:
    """Restore every file that ``plan_undo`` cleared, byte for byte, and mark the manifest.

    Leftovers of an interrupted act or undo are removed first; then the folders the run made
    are removed where they are empty. Running it again finishes what an interrupted one left.
    """
    action = ACTIONS[record.action]
    status: dict[Path, str] = {}
    outcomes = []
    for step in steps:
        if step.skip is not None:
            status[step.file] = f"not restored: {step.skip}"
            continue
        outcome = Outcome(step, _attempt(functools.partial(_restore, action), step))
        status[step.file] = "restored" if outcome.error is None else outcome.error
        outcomes.append(outcome)
        report(outcome)
    record.statuses = [status.get(step.file, "in place") for step in record.steps]
    if all(value in ("restored", "in place") for value in record.statuses):
        record.undone = datetime.now(UTC).isoformat(timespec="seconds")
    _rewrite(manifest, record)
    safe_fs.remove_empty_folders(record.folders)
    return outcomes


def _restore(action: Action, step: Step) -> None:
    for leftover in _leftovers(action, step):
        os.unlink(leftover)
    if not action.in_place(step):
        put_back(step)


def _rewrite(manifest: Path, record: Manifest) -> None:
    """Update the manifest; if that fails, the version on disk still covers every step."""
    try:
        safe_fs.write_json(manifest, record.document())
    except OSError as exc:
        logger.warning("could not update %s (%s); undo still works from it", manifest, exc)


def _attempt(function: Callable[[Step], None], step: Step) -> str | None:
    try:
        function(step)
    except OSError as exc:
        return _reason(exc)
    return None


def _reason(exc: OSError) -> str:
    """An error in words: the message, with the file when the error names one."""
    text = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        text = "no space left on the device"
    return f"{text}: {exc.filename}" if exc.filename else text
