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
from typing import Any, Protocol

from tqdm.auto import tqdm

from imagededup import __version__
from imagededup.groups import Group
from imagededup.images.info import FileInfo, sha256_file
from imagededup.jsonfile import read_json
from imagededup.results import ScoredMap

RECORD_FORMAT = "imagededup-scan"
RECORD_VERSION = 1


class FolderFinder[E](Protocol):
    """What a scan needs: encode a folder into ``{name: encoding}`` and search those encodings.
    Every ``Finder`` is one; ``find --ray`` uses one that encodes and searches on Ray."""

    skipped: dict[str, str]

    def encode_images(self, image_dir: Path, recursive: bool = False) -> Mapping[str, E]: ...

    def search_map(self, encoding_map: Mapping[str, E], threshold: float | None) -> ScoredMap: ...


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
    finder: FolderFinder[E],
    folders: Sequence[Path],
    recursive: bool,
    threshold: float | None = None,
) -> Scan:
    """Encode every folder with ``finder`` and search all of them together at ``threshold``
    (default: the finder's).

    A folder inside another one that is scanned recursively is encoded once.
    """
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

        found = finder.encode_images(folder, recursive=recursive)
        encodings.update((name(k), v) for k, v in found.items())
        skipped.update((name(k), why) for k, why in finder.skipped.items())
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
    """The record beside ``result``, or ``None`` if there is none (a map from the API).

    The record is untrusted input: a field of the wrong type, a bad name or a document nested
    too deeply is a ``ValueError`` that names the file.
    """
    path = record_path(result)
    if not path.exists():
        return None
    try:
        data = read_json(path, "a scan record")
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") != RECORD_FORMAT or data.get("version") != RECORD_VERSION:
            raise ValueError(f"not a scan record of version {RECORD_VERSION}")
        threshold = data["threshold"]
        if threshold is not None and not _is_number(threshold):
            raise ValueError("threshold is not a number")
        if not os.path.isabs(_typed(data, "root", str)):
            raise ValueError("root is not an absolute path")
        record = ScanRecord(
            Path(data["root"]),
            _typed(data, "method", str),
            threshold,
            _typed(data, "keep", str),
            _typed(data, "references", list),
        )
        check_relative_names(record.references, path)
        files = _typed(data, "files", dict)
        check_relative_names(files, path)
        for name, facts in files.items():
            record.sha256[name], record.files[name] = _file_facts(facts)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a valid imagededup scan record ({exc!s:.200})") from None
    return record


def _typed(data: dict, key: str, kind: type) -> Any:
    value = data[key]
    if not isinstance(value, kind):
        raise TypeError(f"{key} is not a {kind.__name__}")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _file_facts(facts: object) -> tuple[str, FileInfo]:
    """The SHA-256 and facts of one file of a record, every field checked."""
    if not isinstance(facts, dict) or set(facts) != {"size", "mtime", "width", "height", "sha256"}:
        raise ValueError("a file's facts are not size, mtime, width, height, sha256")
    if not all(_is_number(facts[key]) for key in ("size", "mtime", "width", "height")):
        raise TypeError("a file's size, date or resolution is not a number")
    if not isinstance(facts["sha256"], str):
        raise TypeError("a file's sha256 is not text")
    sizes = (facts["size"], facts["width"], facts["height"])
    if not all(isinstance(value, int) and value >= 0 for value in sizes):
        raise ValueError("a file's size or resolution is not a whole number")
    return facts["sha256"], FileInfo(facts["size"], facts["mtime"], facts["width"], facts["height"])
