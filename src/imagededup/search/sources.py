"""Which file each vector came from, so that pixel checks still reach the files of an encoding map.

``imagededup find`` and ``CNN.find_duplicates(encoding_map=...)`` search vectors by name; the
names may be relative to another folder than the one encoded. The vectors themselves are what
``encode_images`` returned, so a short digest of their bytes finds their file again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence

import numpy as np


def digest(vector: np.ndarray) -> bytes:
    """A 16-byte digest of ``vector`` as float32 (the form ``encode_images`` returns)."""
    return hashlib.blake2b(np.asarray(vector, np.float32).tobytes(), digest_size=16).digest()


class Sources:
    """Files of the vectors encoded so far, by digest of each vector."""

    def __init__(self) -> None:
        self.files: dict[bytes, str] = {}

    def remember(
        self, vectors: Iterable[np.ndarray], paths: Sequence[os.PathLike[str] | str]
    ) -> None:
        self.files.update((digest(v), os.fspath(p)) for v, p in zip(vectors, paths, strict=True))

    def paths(self, vectors: Iterable[np.ndarray]) -> list[str | None]:
        """The file of each vector, None where it was not encoded here."""
        return [self.files.get(digest(v)) for v in vectors]
