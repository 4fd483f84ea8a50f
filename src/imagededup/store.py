"""A persistent embedding cache in one SQLite file, so unchanged images are never encoded twice.

Rows are keyed by (absolute path as bytes, so any file name works; model id) and hold the file's
size and mtime when it was encoded: a file whose size or mtime changed is a miss and is encoded
again. Each batch is committed as it is written, so an interrupted run resumes where it stopped;
SQLite's journal keeps the file consistent if the process is killed mid-write.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from imagededup.vectors import EMBEDDING_DTYPE

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    path BLOB NOT NULL,
    model TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (path, model)
) WITHOUT ROWID
"""
FileKey = tuple[bytes, int, int]  # (absolute path as bytes, size, mtime_ns)


def file_key(path: str | os.PathLike[str]) -> FileKey | None:
    """The cache key of a file as it is now, or None if it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.fsencode(os.path.abspath(path)), st.st_size, st.st_mtime_ns)


class EmbeddingStore:
    """Embeddings of files for one model, persisted in SQLite at ``path``."""

    def __init__(self, path: str | os.PathLike[str], model_id: str) -> None:
        self.path = Path(path)
        self.model_id = model_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get(self, keys: Sequence[FileKey | None]) -> dict[int, np.ndarray]:
        """Cached vectors of the files whose size and mtime still match, by position in ``keys``."""
        found: dict[int, np.ndarray] = {}
        position = {key[0]: i for i, key in enumerate(keys) if key is not None}
        paths = list(position)
        for start in range(0, len(paths), 900):  # SQLite's limit on bound parameters
            chunk = paths[start : start + 900]
            rows = self._db.execute(
                "SELECT path, size, mtime_ns, vector FROM embeddings WHERE model = ? AND path IN"
                f" ({','.join('?' * len(chunk))})",
                [self.model_id, *chunk],
            )
            for path, size, mtime_ns, blob in rows:
                i = position[path]
                key = keys[i]
                if key is not None and key[1:] == (size, mtime_ns):
                    found[i] = np.frombuffer(blob, dtype=EMBEDDING_DTYPE)
        return found

    def put(self, keys: Iterable[FileKey], vectors: Iterable[np.ndarray]) -> None:
        """Store vectors for these files and commit, replacing older entries."""
        self._db.executemany(
            "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?)",
            [
                (path, self.model_id, size, mtime_ns, np.asarray(v, EMBEDDING_DTYPE).tobytes())
                for (path, size, mtime_ns), v in zip(keys, vectors, strict=True)
            ],
        )
        self._db.commit()

    def prune(self, folder: str | os.PathLike[str]) -> int:
        """Drop entries under ``folder`` whose file no longer exists; returns how many."""
        prefix = os.fsencode(os.path.join(os.path.abspath(folder), ""))
        rows = self._db.execute(
            "SELECT path FROM embeddings WHERE model = ? AND substr(path, 1, ?) = ?",
            (self.model_id, len(prefix), prefix),
        ).fetchall()
        gone = [(self.model_id, path) for (path,) in rows if not os.path.exists(path)]
        self._db.executemany("DELETE FROM embeddings WHERE model = ? AND path = ?", gone)
        self._db.commit()
        return len(gone)

    def __len__(self) -> int:
        query = "SELECT COUNT(*) FROM embeddings WHERE model = ?"
        return self._db.execute(query, (self.model_id,)).fetchone()[0]

    def close(self) -> None:
        self._db.close()
