"""A persistent embedding cache in one SQLite file, so unchanged images are never encoded twice.

The cache is untrusted: another program, a disk fault or a sync tool may have changed it. So:

- a row is keyed by the file's absolute path (as bytes, so any name works) and the model id, and
  is used only while the file's (device, inode, size, mtime_ns, ctime_ns) are what they were when
  it was encoded: a file rewritten with the same size and mtime (``cp`` then ``touch -r``) has a
  new ctime, and is encoded again;
- every row carries a SHA-256 of its key and vector; a row that does not match is never used;
- ``PRAGMA quick_check`` runs on open; a damaged file is recreated;
- any other failure (locked past the timeout, unwritable, a folder at the path) logs one
  warning and the cache steps aside: files are encoded as if there were no cache. It never
  raises.

Each batch is committed as it is written, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from imagededup.vectors import EMBEDDING_DTYPE

logger = logging.getLogger("imagededup")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    path BLOB NOT NULL,
    model TEXT NOT NULL,
    device INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    checksum BLOB NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (path, model)
) WITHOUT ROWID
"""
_LOCK_TIMEOUT_S = 10.0
FileKey = tuple[bytes, int, int]  # (absolute path as bytes, size, mtime_ns): Ray's shards
CacheKey = tuple[bytes, int, int, int, int, int]  # path, device, inode, size, mtime_ns, ctime_ns


def file_key(path: str | os.PathLike[str]) -> FileKey | None:
    """The key of a file for Ray's Parquet shards, or None if it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.fsencode(os.path.abspath(path)), st.st_size, st.st_mtime_ns)


def cache_key(path: str | os.PathLike[str]) -> CacheKey | None:
    """The cache key of a file as it is now, or None if it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    name = os.fsencode(os.path.abspath(path))
    return (name, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _checksum(model: str, key: CacheKey, vector: bytes) -> bytes:
    digest = hashlib.sha256(model.encode())
    digest.update(repr(key).encode())
    digest.update(vector)
    return digest.digest()


class EmbeddingStore:
    """Embeddings of files for one model, persisted in SQLite at ``path``."""

    def __init__(self, path: str | os.PathLike[str], model_id: str) -> None:
        self.path = Path(path)
        self.model_id = model_id
        self._db: sqlite3.Connection | None = None
        self._warned = False
        try:
            self._db = self._open()
        except (sqlite3.OperationalError, OSError) as exc:  # locked, unwritable, a folder
            self._step_aside(exc)
        except sqlite3.DatabaseError as exc:  # not a database, malformed, failed its check
            self._recreate(exc)

    def _open(self) -> sqlite3.Connection:
        """Connect, check the file, create the table; raises on any doubt."""
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path} is a folder")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=_LOCK_TIMEOUT_S, check_same_thread=False)
        try:
            check = db.execute("PRAGMA quick_check").fetchall()
            if check != [("ok",)]:
                raise sqlite3.DatabaseError(f"integrity check failed: {check[0][0]}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("DROP TABLE IF EXISTS embeddings")  # version 1: no inode, ctime, checksum
            db.execute(_SCHEMA)
            db.commit()
        except BaseException:
            db.close()
            raise
        return db

    def _recreate(self, reason: Exception) -> None:
        """A damaged cache is of no use: start a new one (or step aside if that fails)."""
        self._warn(f"the embedding cache {self.path} is damaged ({reason}); starting a new one")
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self.path}{suffix}")
            self._db = self._open()
        except (sqlite3.Error, OSError) as exc:
            self._step_aside(exc)

    def _step_aside(self, reason: Exception) -> None:
        """Work without the cache for the rest of this run, after one warning."""
        self._warn(f"not using the embedding cache {self.path} ({reason}); encoding every file")
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None

    def _warn(self, message: str) -> None:
        if not self._warned:
            logger.warning("%s", message)
            self._warned = True

    def get(self, keys: Sequence[CacheKey | None]) -> dict[int, np.ndarray]:
        """Cached vectors of the files whose key still matches and whose row checks out, by
        position in ``keys``."""
        found: dict[int, np.ndarray] = {}
        if self._db is None:
            return found
        position = {key[0]: i for i, key in enumerate(keys) if key is not None}
        paths = list(position)
        bad = 0
        try:
            for start in range(0, len(paths), 900):  # SQLite's limit on bound parameters
                chunk = paths[start : start + 900]
                rows = self._db.execute(
                    "SELECT path, device, inode, size, mtime_ns, ctime_ns, checksum, vector"
                    f" FROM vectors WHERE model = ? AND path IN ({','.join('?' * len(chunk))})",
                    [self.model_id, *chunk],
                )
                for path, *stat, checksum, blob in rows:
                    i = position[path]
                    key = keys[i]
                    if key is None or tuple(stat) != key[1:]:
                        continue
                    if _checksum(self.model_id, key, blob) != checksum:
                        bad += 1
                        continue
                    found[i] = np.frombuffer(blob, dtype=EMBEDDING_DTYPE)
        except (sqlite3.Error, OSError, TypeError, ValueError) as exc:
            self._step_aside(exc)
            return {}
        if bad:
            self._warn(f"{bad} rows of the embedding cache {self.path} are damaged; re-encoding")
        return found

    def put(self, keys: Iterable[CacheKey], vectors: Iterable[np.ndarray]) -> None:
        """Store vectors for these files and commit, replacing older entries."""
        rows = []
        for key, vector in zip(keys, vectors, strict=True):
            blob = np.asarray(vector, EMBEDDING_DTYPE).tobytes()
            checksum = _checksum(self.model_id, key, blob)
            rows.append((key[0], self.model_id, *key[1:], checksum, blob))
        if self._db is None:
            return
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._db.commit()
        except (sqlite3.Error, OSError) as exc:
            self._step_aside(exc)

    def prune(self, folder: str | os.PathLike[str]) -> int:
        """Drop entries under ``folder`` whose file no longer exists; returns how many."""
        if self._db is None:
            return 0
        prefix = os.fsencode(os.path.join(os.path.abspath(folder), ""))
        try:
            rows = self._db.execute(
                "SELECT path FROM vectors WHERE model = ? AND substr(path, 1, ?) = ?",
                (self.model_id, len(prefix), prefix),
            ).fetchall()
            gone = [(self.model_id, path) for (path,) in rows if not os.path.exists(path)]
            self._db.executemany("DELETE FROM vectors WHERE model = ? AND path = ?", gone)
            self._db.commit()
        except (sqlite3.Error, OSError) as exc:
            self._step_aside(exc)
            return 0
        return len(gone)

    def __len__(self) -> int:
        if self._db is None:
            return 0
        try:
            query = "SELECT COUNT(*) FROM vectors WHERE model = ?"
            return self._db.execute(query, (self.model_id,)).fetchone()[0]
        except sqlite3.Error as exc:
            self._step_aside(exc)
            return 0

    @property
    def active(self) -> bool:
        """Whether the cache is in use (it steps aside after a failure it cannot mend)."""
        return self._db is not None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
