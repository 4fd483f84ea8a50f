"""File-system steps that never lose a byte, whatever fails and wherever the process dies.

Every call that changes the disk goes through ``os`` here (so a test can fail any one of them):

- a copy is written to a temporary name beside its target, fsynced, checked by SHA-256, then
  given its final name without overwriting anything; on an error the partial copy is removed
  and the source is untouched;
- a source is removed only after its copy is durable (file and folder fsynced);
- JSON is replaced in one rename after an fsync, so a reader sees the old or the new document;
- ``is_prefix_copy`` recognises what a killed copy leaves (a prefix of bytes that exist whole
  elsewhere), so a later run removes or replaces it and never a file of the user.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

from imagededup.images.discover import OUTPUT_MARKER

_CHUNK = 1 << 20
# errors of os.link that mean "no hard link here", so a copy has to do
NO_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP})


def temporary_name(path: Path) -> Path:
    """The one temporary name imagededup uses beside ``path`` (hidden, so scans skip it)."""
    return path.with_name(f".{path.name}.imagededup-tmp")


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of the bytes of ``path`` (not following a final symbolic link)."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


def is_regular(path: Path) -> bool:
    """Whether ``path`` is a regular file itself (not a symbolic link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def fsync_folder(folder: Path) -> None:
    """Make the names in ``folder`` durable (a rename or unlink survives a power cut)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_folders(folder: Path) -> None:
    """``mkdir -p`` that refuses to go through a symbolic link."""
    missing = []
    current = folder
    while not os.path.lexists(current):
        missing.append(current)
        current = current.parent
    if not stat.S_ISDIR(os.lstat(current).st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(current))
    for path in reversed(missing):
        os.mkdir(path)


def place(source: Path, target: Path, sha256: str) -> None:
    """Make ``target`` (which must not exist) hold ``source``'s bytes, durably.

    A hard link when the file system allows one (same inode, same dates), else a verified copy
    (see ``copy_verified``). Nothing existing is ever overwritten.
    """
    make_folders(target.parent)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in NO_LINK:
            raise
        copy_verified(source, target, sha256)
        return
    fsync_folder(target.parent)


def copy_verified(source: Path, target: Path, sha256: str) -> None:
    """Copy ``source`` to ``target`` through a temporary name: write, fsync, check the SHA-256,
    then link or rename into place. On an error the temporary copy is removed."""
    temporary = temporary_name(target)
    _write_copy(source, temporary)
    try:
        if sha256_of(temporary) != sha256:
            raise OSError(errno.EIO, f"the copy of {source} differs from the original")
    except OSError:
        _remove_quietly(temporary)
        raise
    _install(temporary, target, replace=False)


def _write_copy(source: Path, temporary: Path) -> None:
    """Create ``temporary`` exclusively with ``source``'s bytes, dates and mode, fsynced."""
    reader = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        writer = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        os.close(reader)
        raise
    try:
        while chunk := os.read(reader, _CHUNK):
            _write_all(writer, chunk)
        os.fsync(writer)
        facts = os.fstat(reader)
        os.utime(writer, ns=(facts.st_atime_ns, facts.st_mtime_ns))
        os.chmod(writer, stat.S_IMODE(facts.st_mode))
    except OSError:
        os.close(writer)
        os.close(reader)
        _remove_quietly(temporary)
        raise
    os.close(writer)
    os.close(reader)


def _write_new(path: Path, data: bytes, exclusive: bool) -> None:
    """Create (or, unless ``exclusive``, truncate) ``path`` holding ``data``, fsynced; on an
    error nothing is left at ``path``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    except OSError:
        os.close(fd)
        _remove_quietly(path)
        raise
    os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a write may take only part of them)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _install(temporary: Path, path: Path, replace: bool) -> None:
    """Give ``temporary`` the name ``path`` durably, replacing what is there only when
    ``replace``; on an error the temporary is removed."""
    try:
        if replace:
            os.replace(temporary, path)
        else:
            _give_name(temporary, path)
    except OSError:
        _remove_quietly(temporary)
        raise
    fsync_folder(path.parent)


def _give_name(temporary: Path, target: Path) -> None:
    """Rename ``temporary`` to ``target`` unless ``target`` exists (never overwrites)."""
    try:
        os.link(temporary, target, follow_symlinks=False)  # fails if target exists
    except OSError as exc:
        if exc.errno not in NO_LINK:
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists (never overwritten)", str(target)) from None
        os.rename(temporary, target)
        return
    os.unlink(temporary)


def remove_source(path: Path) -> None:
    """Unlink ``path`` (its bytes are safe elsewhere) and make that durable."""
    os.unlink(path)
    fsync_folder(path.parent)


def swap_in(path: Path, make: Callable[[Path], None]) -> None:
    """Replace ``path`` in one rename by what ``make`` creates at its temporary name, so that
    ``path`` never goes missing; the temporary is removed on failure."""
    temporary = temporary_name(path)
    make(temporary)  # fails, touching nothing, if the temporary name is taken
    _install(temporary, path, replace=True)


def is_prefix_copy(path: Path, whole: Path) -> bool:
    """Whether ``path`` is a regular file holding ``whole``'s bytes or the start of them (what an
    interrupted copy of ``whole`` leaves), so removing or replacing it loses nothing."""
    if not is_regular(path) or not is_regular(whole):
        return False
    if os.lstat(path).st_size > os.lstat(whole).st_size:
        return False
    with open(path, "rb") as part, open(whole, "rb") as full:
        while chunk := part.read(_CHUNK):
            if full.read(len(chunk)) != chunk:
                return False
    return True


def write_json(path: Path, data: dict, exclusive: bool = False) -> None:
    """Write ``data`` to ``path`` through an fsynced temporary file and one rename, so a crash
    leaves the old document or the new one, never half of one. ``exclusive``: fail if ``path``
    exists (a new manifest never replaces another run's)."""
    temporary = temporary_name(path)
    _write_new(temporary, json.dumps(data, indent=1, ensure_ascii=True).encode(), False)
    _install(temporary, path, replace=not exclusive)


def mark_output(folder: Path) -> None:
    """Put imagededup's marker into ``folder`` (scans skip it) unless it is there.

    The marker is created in place (its name alone counts), so a run killed while writing it
    still leaves a marked folder.
    """
    marker = folder / OUTPUT_MARKER
    if not is_regular(marker):
        note = b"imagededup act moved files here; imagededup find skips this folder\n"
        _write_new(marker, note, exclusive=True)
        fsync_folder(folder)


def is_marked(folder: Path) -> bool:
    """Whether ``folder`` is a real folder (no symbolic link) holding imagededup's marker."""
    try:
        return stat.S_ISDIR(os.lstat(folder).st_mode) and is_regular(folder / OUTPUT_MARKER)
    except OSError:
        return False


def is_empty_or_gone(folder: Path) -> bool:
    """Whether nothing is at ``folder``, or an empty real folder (no symbolic link)."""
    if not os.path.lexists(folder):
        return True
    return stat.S_ISDIR(os.lstat(folder).st_mode) and not os.listdir(folder)


def in_own_output(path: Path, root: Path) -> bool:
    """Whether ``path`` lies in a folder marked as imagededup's output, up to ``root``."""
    folder = path.parent
    while True:
        if is_marked(folder):
            return True
        if folder == root or folder == folder.parent:
            return False
        folder = folder.parent


def real_inside(path: Path, folder: Path) -> bool:
    """Whether ``path``'s folder, with every symbolic link resolved, lies inside ``folder``'s
    resolved path (parts that do not exist yet are taken as they are written)."""
    inner, outer = os.path.realpath(path.parent), os.path.realpath(folder)
    return inner == outer or inner.startswith(os.path.join(outer, ""))


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove each of ``folders`` that is empty (deepest first); others stay as they are."""
    for folder in sorted(folders, key=lambda path: -len(path.parts)):
        with contextlib.suppress(OSError):
            if os.listdir(folder) == [OUTPUT_MARKER]:
                os.unlink(folder / OUTPUT_MARKER)
            os.rmdir(folder)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
