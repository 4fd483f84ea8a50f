"""Which file each vector came from, so that pixel checks still reach the files of an encoding map.

``imagededup find`` and ``CNN.find_duplicates(encoding_map=...)`` search vectors by name; the
names may be relative to another folder than the one encoded. The vectors themselves are what
``encode_images`` returned, so a short digest of their bytes finds their file again. Files that
share a vector bit for bit (one picture composited on white, such as an icon and the same icon
with an opaque white part: the pixel checks, which also composite on black, tell them apart)
are told apart by name.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import PurePath

import numpy as np


def digest(vector: np.ndarray) -> bytes:
    """A 16-byte digest of ``vector`` as float32 (the form ``encode_images`` returns)."""
    return hashlib.blake2b(np.asarray(vector, np.float32).tobytes(), digest_size=16).digest()


class Sources:
    """Files of the vectors encoded so far, by digest of each vector (the last file encoded
    with it), and every file of a digest that several files share."""

    def __init__(self) -> None:
        self.files: dict[bytes, str] = {}
        self.shared: dict[bytes, list[str]] = {}

    def remember(
        self, vectors: Iterable[np.ndarray], paths: Sequence[os.PathLike[str] | str]
    ) -> None:
        for vector, path in zip(vectors, paths, strict=True):
            key, file = digest(vector), os.fspath(path)
            known = self.files.get(key)
            if known is not None and known != file:
                sharing = self.shared.setdefault(key, [known])
                if file not in sharing:
                    sharing.append(file)
            self.files[key] = file

    def paths(self, named: Iterable[tuple[str, np.ndarray]]) -> list[str | None]:
        """The file of each ``(name, vector)``, None where the vector was not encoded here: of
        several files with that vector, the one whose path ends in most of the name's parts
        (the file name at least; else the last encoded)."""
        return [self._path(name, vector) for name, vector in named]

    def _path(self, name: str, vector: np.ndarray) -> str | None:
        key = digest(vector)
        best, most = self.files.get(key), 0
        for file in self.shared.get(key, ()):
            alike = _shared_tail(PurePath(name).parts, PurePath(file).parts)
            if alike > most:
                best, most = file, alike
        return best


def _shared_tail(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """How many trailing parts two paths have in common."""
    count = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        count += 1
    return count
