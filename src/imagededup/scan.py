"""Scan several folders as one collection, and record the scan beside its JSON result.

Names: every file is named by its POSIX path relative to the common parent of the scanned
folders. With one folder that is the folder itself, so ``imagededup find photos`` names files
exactly as ``CNN().find_duplicates("photos")`` does; ``find photos/2023 photos/2024`` gives
``2023/a.jpg`` and ``2024/a.jpg``, which stay distinct.

The record (``RESULT.scan.json`` beside ``RESULT.json``) holds what ``imagededup act`` needs and
the duplicate map cannot hold without breaking imagededup's JSON format: the absolute root the
names are relative to, the reference folders, the keep policy, and the size, date, resolution
and SHA-256 of every file of every group at scan time. The duplicate map itself stays a plain
``{file: [[duplicate, score], ...]}`` that older imagededup code still loads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

from tqdm.auto import tqdm

from imagededup import __version__
from imagededup.groups import Group
from imagededup.images.info import FileInfo, sha256_file
from imagededup.methods.base import Finder
from imagededup.results import ScoredMap

RECORD_FORMAT = "imagededup-scan"
RECORD_VERSION = 1


class FolderEncoder[E](Protocol):
    """What encodes a folder for a scan: the ``Finder`` itself, or one that encodes elsewhere
    (``find --ray``) into the same encodings."""

    skipped: dict[str, str]

    def encode_images(self, image_dir: Path, recursive: bool = False) -> Mapping[str, E]: ...


@dataclass
class Scan:
    """Duplicates ``{name: [(duplicate, score), ...]}`` of every file under ``root``."""

    root: Path
    duplicates: ScoredMap
    skipped: dict[str, str]


def check_folders(folders: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Absolute, normalised ``folders``; raises ``FileNotFoundError``/``NotADirectoryError``."""
    checked = []
    for folder in folders:
        path = Path(os.path.abspath(folder))
        if not path.exists():
            raise FileNotFoundError(f"no such folder: {folder}")
        if not path.is_dir():
            raise NotADirectoryError(f"not a folder: {folder}")
        checked.append(path)
    return checked


def common_root(folders: Sequence[Path]) -> Path:
    """The deepest folder that contains every one of ``folders`` (absolute paths)."""
    return Path(os.path.commonpath(folders))


def relative_name(path: Path, root: Path) -> str:
    """``path`` as a name relative to ``root`` (POSIX separators, ``"."`` for the root)."""
    return path.relative_to(root).as_posix()


def scan_folders[E](
    finder: Finder[E],
    folders: Sequence[Path],
    recursive: bool,
    threshold: float | None = None,
    encoder: FolderEncoder[E] | None = None,
) -> Scan:
    """Encode every folder (with ``encoder``, by default the finder) and search all of them
    together with ``finder`` at ``threshold`` (default: the finder's).

    A folder inside another one that is scanned recursively is encoded once.
    """
    encoder = finder if encoder is None else encoder
    unique = sorted(set(folders))
    if recursive:
        unique = [f for f in unique if not any(f != o and f.is_relative_to(o) for o in unique)]
    root = common_root(unique)
    encodings: dict[str, E] = {}
    skipped: dict[str, str] = {}
    for folder in unique:
        prefix = relative_name(folder, root)

        def name(relative: str, prefix: str = prefix) -> str:
            return relative if prefix == "." else f"{prefix}/{relative}"

        found = encoder.encode_images(folder, recursive=recursive)
        encodings.update((name(k), v) for k, v in found.items())
        skipped.update((name(k), why) for k, why in encoder.skipped.items())
    encodings = dict(sorted(encodings.items()))
    return Scan(root, finder.search_map(encodings, threshold), skipped)


def check_relative_names(names: Iterable[str], source: str | os.PathLike[str]) -> None:
    """Refuse names that would point outside the root (absolute, or with ``..``): a hand-made
    or tampered map must not make ``act`` touch files elsewhere."""
    for name in names:
        path = PurePosixPath(name) if isinstance(name, str) else None
        if path is None or not name or path.is_absolute() or ".." in path.parts:
            raise ValueError(f"{source}: {name!r} is not a path inside the scanned folder")


@dataclass
class ScanRecord:
    """What ``act`` needs to find, choose and verify the files of a saved duplicate map."""

    root: Path
    method: str
    threshold: float | None
    keep: str
    references: list[str] = field(default_factory=list)
    files: dict[str, FileInfo] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)


def in_folders(name: str, folders: Sequence[str]) -> bool:
    """Whether the name ``name`` lies in one of ``folders`` (names relative to the same root)."""
    return any(f == "." or name == f or name.startswith(f"{f}/") for f in folders)


def record_path(result: str | os.PathLike[str]) -> Path:
    """The scan record beside ``result``: ``dups.json`` -> ``dups.scan.json``."""
    path = Path(result)
    stem = path.name.removesuffix(".json")
    return path.with_name(f"{stem}.scan.json")


def record_scan(
    root: Path,
    groups: Sequence[Group],
    info: Callable[[str], FileInfo],
    *,
    method: str,
    threshold: float | None,
    keep: str,
    references: Sequence[str],
    progress: bool = False,
) -> ScanRecord:
    """Facts and SHA-256 of every file of every group, read now (right after the scan)."""
    names = [name for group in groups for name in group.files]
    record = ScanRecord(root, method, threshold, keep, list(references))
    for name in tqdm(names, disable=not progress, unit="file", desc="Hashing"):
        record.files[name] = info(name)
        record.sha256[name] = sha256_file(root / name)
    return record


def save_record(record: ScanRecord, result: str | os.PathLike[str]) -> Path:
    """Write ``record`` beside the duplicate map ``result``; returns its path."""
    files = {
        name: {
            "size": facts.size,
            "mtime": facts.mtime,
            "width": facts.width,
            "height": facts.height,
            "sha256": record.sha256[name],
        }
        for name, facts in record.files.items()
    }
    data = {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "tool_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "root": str(record.root),
        "method": record.method,
        "threshold": record.threshold,
        "keep": record.keep,
        "references": record.references,
        "files": files,
    }
    path = record_path(result)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=True), encoding="utf-8")
    return path


def load_record(result: str | os.PathLike[str]) -> ScanRecord | None:
    """The record beside ``result``, or ``None`` if there is none (a map from the API)."""
    path = record_path(result)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != RECORD_FORMAT or data.get("version") != RECORD_VERSION:
            raise ValueError(f"not a scan record of version {RECORD_VERSION}")
        record = ScanRecord(
            Path(data["root"]), data["method"], data["threshold"], data["keep"], data["references"]
        )
        for name, facts in data["files"].items():
            record.sha256[name] = facts.pop("sha256")
            record.files[name] = FileInfo(**facts)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path} is not a valid imagededup scan record ({exc})") from exc
    return record
