"""What imagededup knows about a file besides its pixels: size, dates, resolution, content hash.

The keep policies rank files by these facts, the report shows them, and the file actions use the
content hash to make sure a file is still the one that was scanned before touching anything.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from imagededup.images.decode import DecodeError, image_size

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileInfo:
    """Size in bytes, modification time (seconds since the epoch) and displayed resolution.

    ``width`` and ``height`` are 0 when the header cannot be read. ``inode`` is
    ``(device, inode)`` when read from the file system, ``None`` when loaded from a scan record.
    """

    size: int
    mtime: float
    width: int
    height: int
    inode: tuple[int, int] | None = None

    @property
    def pixels(self) -> int:
        return self.width * self.height


def file_info(path: str | os.PathLike[str]) -> FileInfo:
    """Read the facts of ``path``; raises ``OSError`` if it cannot be stat'ed (e.g. deleted)."""
    st = os.stat(path)
    try:
        width, height = image_size(path)
    except DecodeError:
        width = height = 0
    return FileInfo(st.st_size, st.st_mtime, width, height, (st.st_dev, st.st_ino))


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
