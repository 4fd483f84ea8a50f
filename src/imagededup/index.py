"""A reference collection of image embeddings to check new images against, saved as one file.

Build it once (``add`` a folder or an encoding map), ``save`` it, ``load`` it later and
``search`` new images without encoding the collection again. The index keeps the file of each
vector it knows, so a search checks its matches by their pixels as a search of one collection
does (``search.verify``: graphics decided by the classifier, recoloured photos dropped).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

from imagededup.results import DuplicateMap, match_map
from imagededup.search.copies import CopyIndex
from imagededup.search.drawing import Drawings
from imagededup.search.geometry import Scenes, candidate_floor, refuted, rescued, rescues
from imagededup.search.pairs import Pairs
from imagededup.search.sources import Sources
from imagededup.search.verify import verified

FORMAT_VERSION = 2
"""Version 2 adds the files of the vectors; version 1 files load without them (unchecked)."""
PathLike = str | os.PathLike[str]


class Embedder(Protocol):
    """What an index needs from its encoder (a ``CNN``): vectors, thresholds, the model's id."""

    @property
    def model_id(self) -> str: ...

    def matrix(
        self,
        image_dir: PathLike | None = None,
        encoding_map: Mapping[str, np.ndarray] | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
    ) -> tuple[list[str], np.ndarray]: ...

    def threshold(self, value: float | None) -> float: ...

    @property
    def default_threshold(self) -> float: ...

    def view_count(self, vectors: np.ndarray) -> int: ...

    def background(self, vectors: np.ndarray) -> np.ndarray | None: ...

    @property
    def sources(self) -> Sources: ...


class Index:
    """Named, unit-length embeddings of one model, searchable by cosine similarity.

    ``approximate``: None picks exact search up to ``EXACT_MAX_VECTORS`` and IVF above;
    True/False force it.
    """

    def __init__(self, cnn: Embedder, approximate: bool | None = None) -> None:
        """``cnn`` encodes the files added or searched: ``Index(CNN())``."""
        self.cnn = cnn
        self.approximate = approximate
        self.names: list[str] = []
        self.vectors = np.empty((0, 0), np.float32)
        self.paths: list[str | None] = []
        """The absolute file of each vector, None where unknown (then its matches go unchecked)."""
        self._search: CopyIndex | None = None

    def __len__(self) -> int:
        return len(self.names)

    def add(
        self,
        image_dir: PathLike | None = None,
        encoding_map: Mapping[str, np.ndarray] | None = None,
        recursive: bool = False,
    ) -> Index:
        """Add a folder's images or an encoding map; a name already present gets the new vector."""
        names, vectors = self.cnn.matrix(image_dir, encoding_map, recursive)
        if len(names) == 0:
            return self
        paths = self._files(image_dir, names, vectors)
        if len(self.names) and vectors.shape[1] != self.vectors.shape[1]:
            raise ValueError(
                f"vectors of length {vectors.shape[1]} cannot join an index of length"
                f" {self.vectors.shape[1]} (another model?)"
            )
        position = {name: i for i, name in enumerate(self.names)}
        fresh = [k for k, name in enumerate(names) if name not in position]
        stale = [k for k, name in enumerate(names) if name in position]
        merged = self.vectors if len(self.names) else np.empty((0, vectors.shape[1]), np.float32)
        merged = np.concatenate([merged, vectors[fresh]])
        merged[[position[names[k]] for k in stale]] = vectors[stale]
        for k in stale:
            self.paths[position[names[k]]] = paths[k]
        self.names += [names[k] for k in fresh]
        self.paths += [paths[k] for k in fresh]
        self.vectors = merged
        self._search = None
        return self

    def search(
        self,
        image_dir: PathLike | None = None,
        encoding_map: Mapping[str, np.ndarray] | None = None,
        min_similarity_threshold: float | None = None,
        scores: bool = False,
        recursive: bool = False,
    ) -> DuplicateMap:
        """``{query: [indexed duplicate, ...]}`` for every query image, best match first."""
        threshold = self.cnn.threshold(min_similarity_threshold)
        names, vectors = self.cnn.matrix(image_dir, encoding_map, recursive)
        if len(names) and len(self.names) and vectors.shape[1] != self.vectors.shape[1]:
            raise ValueError("query vectors and index vectors differ in length (another model?)")
        if not len(self.names) or not len(names):
            return match_map(names, self.names, Pairs.empty(), scores)
        if self._search is None:
            views = self.cnn.view_count(self.vectors)
            backdrop = self.cnn.background(self.vectors)
            self._search = CopyIndex(self.vectors, views, self.approximate, backdrop)
        rescue = rescues(self.cnn.default_threshold, threshold)
        floor = candidate_floor(threshold) if rescue else threshold
        pairs = self._search.match(vectors, floor, self.cnn.view_count(vectors))
        queries = self._files(image_dir, names, vectors)
        checked = self._checked(pairs, queries, threshold, rescue)
        return match_map(names, self.names, checked, scores)

    def _files(
        self, image_dir: PathLike | None, names: list[str], vectors: np.ndarray
    ) -> list[str | None]:
        """The absolute file of each of ``names``: in ``image_dir``, or the file the CNN
        encoded each vector of an encoding map from in this process (None if it did not)."""
        if image_dir is not None:
            return [os.path.abspath(Path(image_dir) / name) for name in names]
        return [
            None if path is None else os.path.abspath(path)
            for path in self.cnn.sources.paths(zip(names, vectors, strict=True))
        ]

    def _checked(
        self, pairs: Pairs, queries: list[str | None], threshold: float, rescue: bool
    ) -> Pairs:
        """The ``(query, indexed)`` pairs at ``threshold`` that pass ``verified`` and whose
        keypoints do not refute them, and, to ``rescue`` photos, those under it that their
        keypoints confirm (``search.geometry``, as a search of one collection keeps them). A
        pair with a file that is unknown, gone or not a non-empty regular file is kept
        unchecked (a saved index is untrusted input: a FIFO, a device or a /proc file, all of
        size 0, could block a read)."""
        offset = len(queries)
        pairs = Pairs(pairs.first, pairs.second + offset, pairs.scores)
        paired = set(pairs.first.tolist()) | set(pairs.second.tolist())
        files = [
            path if k in paired and path is not None and _plain_file(path) else None
            for k, path in enumerate(queries + self.paths)
        ]  # only the files of pairs are looked at: an index may hold millions
        read, scenes = Drawings(files), Scenes(files)
        kept, sure = verified(pairs.take(pairs.scores >= threshold), read, threshold)
        kept = kept.take(~refuted(kept, sure, scenes, threshold))
        if rescue:
            candidates = rescued(pairs, threshold, read, scenes)
            kept = Pairs.concat([kept, verified(candidates, read, threshold)[0]])
        return Pairs(kept.first, kept.second - offset, kept.scores)

    def save(self, path: PathLike) -> Path:
        """Write names, vectors, their files and the model's id to ``path`` (a ``.npz`` file)."""
        meta = {"format": FORMAT_VERSION, "model": self.cnn.model_id}
        path = Path(path)
        with path.open("wb") as handle:
            np.savez(
                handle,
                vectors=self.vectors,
                names=np.array(json.dumps(self.names)),
                paths=np.array(json.dumps(self.paths)),
                meta=np.array(json.dumps(meta)),
            )
        return path

    @classmethod
    def load(cls, path: PathLike, cnn: Embedder, approximate: bool | None = None) -> Index:
        """Read an index written by ``save``; refuses one made with another model than ``cnn``'s,
        and any file whose parts do not fit together (it is untrusted input)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                names = json.loads(str(data["names"]))
                vectors = np.array(data["vectors"], dtype=np.float32)
                paths = json.loads(str(data["paths"])) if "paths" in data else None
        except (KeyError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not an index written by Index.save ({exc})") from exc
        if not isinstance(meta, dict) or meta.get("format") not in (1, FORMAT_VERSION):
            found = meta.get("format") if isinstance(meta, dict) else meta
            raise ValueError(f"{path}: index format {found!r}, not {FORMAT_VERSION}")
        index = cls(cnn, approximate)
        if meta.get("model") != index.cnn.model_id:
            raise ValueError(
                f"{path} was built with model {meta.get('model')!r},"
                f" not {index.cnn.model_id!r}: pass CNN(model=...) of that model"
            )
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"{path}: its names are not a list of file names")
        if vectors.ndim != 2 or len(vectors) != len(names):
            raise ValueError(f"{path}: {vectors.shape} vectors for {len(names)} names")
        paths = [None] * len(names) if paths is None else paths
        if not isinstance(paths, list) or len(paths) != len(names):
            raise ValueError(f"{path}: its file list does not match its {len(names)} names")
        if not all(p is None or isinstance(p, str) for p in paths):
            raise ValueError(f"{path}: its file list holds something other than paths")
        index.names, index.vectors, index.paths = names, vectors, paths
        return index


def _plain_file(path: str) -> bool:
    """Whether ``path`` is a regular file with some bytes (following symlinks)."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL byte in a crafted path
        return False
    return stat.S_ISREG(status.st_mode) and status.st_size > 0
