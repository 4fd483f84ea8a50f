"""The manifest of an ``act`` run: written before the first change, read back as untrusted input.

A manifest names the run's action, the root its files are relative to, the storage folder that
holds their original bytes, the folders the run made, and one entry per file. ``read_manifest``
trusts none of it: every field must have its type, every hash must be a SHA-256, and every entry
must keep the shape ``act`` writes (``file`` = root/NAME, ``stored`` = storage/NAME, no ``..``),
so that a hand-made manifest cannot point ``undo`` at a file elsewhere. Anything else is a
``ManifestError`` (one line, exit code 2 on the command line).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from imagededup import __version__
from imagededup.jsonfile import read_json

MANIFEST_FORMAT = "imagededup-manifest"
MANIFEST_VERSION = 2
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ManifestError(ValueError):
    """A manifest that is not one ``act`` wrote, or that points outside its root or storage."""


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
class Manifest:
    """What a run did (or was about to do) to which files, and where their originals are."""

    action: str
    root: Path
    storage: Path
    steps: list[Step]
    folders: list[Path] = field(default_factory=list)  # made by the run; undo removes them
    statuses: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    undone: str | None = None

    def document(self) -> dict:
        """The manifest as the JSON ``act`` writes."""
        statuses = self.statuses or ["planned"] * len(self.steps)
        data = {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "tool_version": __version__,
            "created": self.created,
            "action": self.action,
            "root": str(self.root),
            "storage": str(self.storage),
            "folders": [str(folder) for folder in self.folders],
            "entries": [_entry(s, status) for s, status in zip(self.steps, statuses, strict=True)],
        }
        return data if self.undone is None else {**data, "undone": self.undone}


def fresh_names(folder: Path) -> tuple[Path, Path]:
    """A manifest path and a trash folder in ``folder`` that do not exist yet, named by the time.

    Nothing is created: the manifest is created exclusively, so two runs never share one.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffixes = itertools.chain([stamp], (f"{stamp}-{n}" for n in itertools.count(2)))
    names = (
        (folder / f"imagededup-manifest-{s}.json", folder / f"imagededup-trash-{s}")
        for s in suffixes
    )
    return next((m, t) for m, t in names if not os.path.lexists(m) and not os.path.lexists(t))


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


def read_manifest(path: Path, actions: Collection[str]) -> Manifest:
    """Parse and check the manifest at ``path``; ``actions`` are the action names known."""
    try:
        data = read_json(path, "a manifest")
    except ValueError as exc:
        raise ManifestError(str(exc)) from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{path} is not an imagededup manifest")
    if data.get("version") != MANIFEST_VERSION:
        raise ManifestError(
            f"{path} has manifest version {data.get('version')!r}; this imagededup reads"
            f" version {MANIFEST_VERSION}"
        )
    fields = _Fields(path, data)
    action = fields.text("action")
    if action not in actions:
        raise ManifestError(f"{path}: unknown action {action!r}")
    root, storage = fields.folder("root"), fields.folder("storage")
    folders = [fields.folder_in(value, storage) for value in fields.list("folders")]
    manifest = Manifest(action, root, storage, [], folders, undone=data.get("undone"))
    seen: set[Path] = set()
    for number, value in enumerate(fields.list("entries"), 1):
        step, status = _read_entry(_Fields(path, value, f"entry {number}"), manifest)
        if step.file in seen:
            raise ManifestError(f"{path}: entry {number} repeats {step.file}")
        seen.add(step.file)
        manifest.steps.append(step)
        manifest.statuses.append(status)
    return manifest


def _read_entry(entry: _Fields, manifest: Manifest) -> tuple[Step, str]:
    """One entry, checked to keep the shape ``act`` writes: root/NAME and storage/NAME."""
    file = entry.path("file")
    name = entry.name_under(file, manifest.root)
    stored = entry.path("stored")
    if stored != manifest.storage / name:
        raise entry.error(f"stored copy {stored} is not {manifest.storage / name}")
    kept = entry.path("kept")
    entry.name_under(kept, manifest.root)
    if kept == file:
        raise entry.error("names the same file as kept and as duplicate")
    if entry.text("action") != manifest.action:
        raise entry.error(f"action {entry.text('action')!r} is not the manifest's")
    step = Step(
        manifest.action,
        entry.count("group"),
        file,
        kept,
        stored,
        entry.count("size"),
        entry.sha256("sha256"),
        entry.sha256("kept_sha256"),
    )
    return step, entry.text("status")


class _Fields:
    """Typed access to one JSON object of an untrusted manifest; errors name the place."""

    def __init__(self, path: Path, data: object, where: str = "") -> None:
        if not isinstance(data, dict):
            raise ManifestError(f"{path}: {where or 'the manifest'} is not an object")
        self.source, self.data, self.where = path, data, where

    def error(self, message: str) -> ManifestError:
        return ManifestError(f"{self.source}: {self.where + ': ' if self.where else ''}{message}")

    def _get[T](self, key: str, kind: type[T]) -> T:
        value = self.data.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.error(f"{key} must be a {kind.__name__}, got {type(value).__name__}")
        return value

    def text(self, key: str) -> str:
        return self._get(key, str)

    def list(self, key: str) -> list:
        return self._get(key, list)

    def count(self, key: str) -> int:
        value = self._get(key, int)
        if value < 0:
            raise self.error(f"{key} must not be negative")
        return value

    def sha256(self, key: str) -> str:
        value = self.text(key)
        if not _SHA256.fullmatch(value):
            raise self.error(f"{key} is not a SHA-256")
        return value

    def path(self, key: str) -> Path:
        value = self.text(key)
        pure = PurePosixPath(value)
        if not pure.is_absolute() or ".." in pure.parts or "\0" in value:
            raise self.error(f"{key} {value!r} is not an absolute path without '..'")
        return Path(value)

    def folder(self, key: str) -> Path:
        folder = self.path(key)
        if folder == folder.parent:
            raise self.error(f"{key} must not be the file system's root")
        return folder

    def folder_in(self, value: object, storage: Path) -> Path:
        if not isinstance(value, str):
            raise self.error("folders must be paths")
        folder = _Fields(self.source, {"folder": value}, self.where).path("folder")
        if not folder.is_relative_to(storage):
            raise self.error(f"folder {folder} is not inside the storage folder {storage}")
        return folder

    def name_under(self, path: Path, root: Path) -> str:
        if not path.is_relative_to(root) or path == root:
            raise self.error(f"{path} is not inside the root {root}")
        return path.relative_to(root).as_posix()
