"""A reference collection of image embeddings to check new images against, saved as one file.

Build it once (``add`` a folder or an encoding map), ``save`` it, ``load`` it later and
``search`` new images without encoding the collection again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

from imagededup.results import DuplicateMap, match_map
from imagededup.search.copies import CopyIndex
from imagededup.search.pairs import Pairs

FORMAT_VERSION = 1
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

    def view_count(self, vectors: np.ndarray) -> int: ...

    def background(self, vectors: np.ndarray) -> np.ndarray | None: ...


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
        self.names += [names[k] for k in fresh]
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
        pairs = self._search.match(vectors, threshold, self.cnn.view_count(vectors))
        return match_map(names, self.names, pairs, scores)

    def save(self, path: PathLike) -> Path:
        """Write names, vectors and the model's id to ``path`` (a ``.npz`` file)."""
        meta = {"format": FORMAT_VERSION, "model": self.cnn.model_id}
        path = Path(path)
        with path.open("wb") as handle:
            np.savez(
                handle,
                vectors=self.vectors,
                names=np.array(json.dumps(self.names)),
                meta=np.array(json.dumps(meta)),
            )
        return path

    @classmethod
    def load(cls, path: PathLike, cnn: Embedder, approximate: bool | None = None) -> Index:
        """Read an index written by ``save``; refuses one made with another model than ``cnn``'s."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            index = cls(cnn, approximate)
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"{path}: index format {meta.get('format')}, not {FORMAT_VERSION}")
            if meta["model"] != index.cnn.model_id:
                raise ValueError(
                    f"{path} was built with model {meta['model']!r},"
                    f" not {index.cnn.model_id!r}: pass CNN(model=...) of that model"
                )
            index.names = json.loads(str(data["names"]))
            index.vectors = np.array(data["vectors"], dtype=np.float32)
        return index
