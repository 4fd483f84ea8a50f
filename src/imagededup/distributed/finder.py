"""The command line's ``find --ray``: a finder that encodes on Ray and searches like ``CNN``.

Below ``RAY_SEARCH_MIN_FILES`` files the vectors are read back and searched in this process,
as ``CNN`` does; above it the search itself runs on Ray (``find_duplicates_on_ray``, its pairs
in ``--ray-output/_search``, down to the photos' candidates under the threshold) and the
duplicate map is built from the pairs file and the vectors of the graphics alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import numpy as np

from imagededup.distributed import shards
from imagededup.distributed.encode import encode_dataset
from imagededup.distributed.ray_search import find_duplicates_on_ray, read_pairs, read_vectors
from imagededup.distributed.search import background_of, search_settings, windows_of
from imagededup.methods.cnn import CNN
from imagededup.results import ScoredMap, duplicate_map
from imagededup.search.drawing import Drawing, Drawings
from imagededup.search.exact import unique_pairs
from imagededup.search.geometry import candidate_floor, rescues
from imagededup.search.graphics import SearchVectors, pairs_of_graphics
from imagededup.search.pairs import Pairs
from imagededup.search.refine import refined
from imagededup.search.windows import own_views

RAY_SEARCH_MIN_FILES = 100_000
"""From this many files on, ``find --ray`` searches on Ray too. Measured on one 2-core machine
(README, "Distributed"): at 100,000 files Ray took 0.87x the one-process IVF's time with 0.8x
its peak memory in the driver, and it spreads over every node of a cluster; below 50,000 the
one-process search is exact, and Ray's workers take seconds to start."""
SEARCH_DIR = "_search"


class RayFinder:
    """``encode_images`` with ``cnn``'s model on Ray into Parquet shards in ``output_dir``, and
    ``search_map`` over them: in this process like ``cnn``, or on Ray for many files."""

    def __init__(self, cnn: CNN, output_dir: str | os.PathLike[str], address: str | None) -> None:
        self.cnn = cnn
        self.output_dir = Path(output_dir)
        self.address = address
        self.skipped: dict[str, str] = {}

    def encode_images(self, image_dir: Path, recursive: bool = True) -> dict[str, str]:
        """``{relative path: absolute path}`` of ``image_dir``'s images, encoded (or reused)."""
        root = Path(os.path.abspath(image_dir))
        done = encode_dataset(
            root,
            self.output_dir,
            model=self.cnn.encoder.spec,
            address=self.address,
            recursive=recursive,
            progress=self.cnn.verbose,
        )
        self.skipped = {_relative(path, root): why for path, why in done.skipped.items()}
        return {_relative(path, root): path for path in done.files}

    def search_map(self, encoding_map: Mapping[str, str], threshold: float | None) -> ScoredMap:
        """``{name: [(duplicate, score), ...]}`` of ``encoding_map``'s files (names to absolute
        paths in the shards): below ``RAY_SEARCH_MIN_FILES`` files their vectors are read back
        and searched here as ``cnn`` searches its own, the pixel checks reading their files;
        from it on, on Ray."""
        if len(encoding_map) < RAY_SEARCH_MIN_FILES:
            paths, vectors = shards.read_embeddings(self.output_dir)
            row = {path: i for i, path in enumerate(paths)}
            wanted = {name: vectors[row[path]] for name, path in encoding_map.items()}
            self.cnn.sources.remember(wanted.values(), list(encoding_map.values()))
            return self.cnn.search_map(wanted, threshold)
        manifest, threshold = search_settings(self.output_dir, threshold)
        rescue = rescues(manifest.get("default_threshold"), threshold)
        find_duplicates_on_ray(
            self.output_dir,
            self.output_dir / SEARCH_DIR,
            candidate_floor(threshold) if rescue else threshold,
            address=self.address,
            files=encoding_map.values(),
        )
        return pairs_map(encoding_map, self.output_dir, threshold, rescue)


def pairs_map(
    names: Mapping[str, str], output_dir: Path, threshold: float, rescue: bool
) -> ScoredMap:
    """The duplicate map of ``names`` (name -> absolute path) from the pairs file of a Ray
    search of ``output_dir``'s shards at ``threshold`` or, to ``rescue`` photos under it, down
    to ``geometry.candidate_floor``, with the graphics' own pairs below it
    (``graphic_pairs``), refined as ``CNN`` refines its own (``search.refine``)."""
    paths = list(names.values())
    number = {path: i for i, path in enumerate(paths)}
    first, second, values = read_pairs(output_dir / SEARCH_DIR)
    pairs = Pairs(
        np.array([number[path] for path in first], np.int64),
        np.array([number[path] for path in second], np.int64),
        values,
    )
    over = pairs.take(pairs.scores >= threshold)
    read = Drawings(paths)  # one read of each file, for the graphics' search and the checks
    found = unique_pairs(Pairs.concat([over, graphic_pairs(output_dir, paths, read, threshold)]))
    manifest = shards.read_manifest(output_dir) or {}
    windows = windows_of(manifest, paths, ShardViews(output_dir, paths, manifest))
    below = pairs if rescue else None
    kept = refined(found, paths, threshold, read=read, below=below, windows=windows)
    return cast(ScoredMap, duplicate_map(list(names), kept, scores=True))


def graphic_pairs(output_dir: Path, paths: list[str], read: Drawings, threshold: float) -> Pairs:
    """Pairs of the graphics among ``paths`` (indices into it; ``read``: their drawings) found
    down below ``threshold`` as one process finds them (``graphics.pairs_of_graphics``), from
    the vectors of only the graphics, read from ``output_dir``'s shards: the Ray search keeps
    no pair under the threshold, and graphics are few in most collections."""
    graphics = [i for i in range(len(read)) if read.graphic(i) is not None]
    if len(graphics) < 2:
        return Pairs.empty()
    shard_paths, where = located(output_dir)
    found = [i for i in graphics if paths[i] in where]
    vectors = vectors_of(shard_paths, [where[paths[i]] for i in found])
    if vectors is None:
        return Pairs.empty()
    manifest = shards.read_manifest(output_dir) or {}
    searched = SearchVectors(vectors, manifest.get("view_count", 1), background_of(manifest))
    drawings = [cast(Drawing, read.graphic(i)) for i in found]
    candidates = pairs_of_graphics(searched, drawings, threshold)
    index = np.array(found, np.int64)
    return Pairs(index[candidates.first], index[candidates.second], candidates.scores)


def located(output_dir: Path) -> tuple[list[Path], dict[str, tuple[int, int]]]:
    """The shard files of ``output_dir`` and ``{path: (shard, row)}`` of each file encoded."""
    shard_paths, table = shards.locate_embeddings(output_dir)
    if table is None:
        return shard_paths, {}
    columns = (table[name].to_pylist() for name in ("path", "shard", "row"))
    return shard_paths, {
        os.fsdecode(p): (shard, row) for p, shard, row in zip(*columns, strict=True)
    }


def vectors_of(shard_paths: list[Path], places: list[tuple[int, int]]) -> np.ndarray | None:
    """The vectors at ``places`` (``(shard, row)``), one row each; None for no place."""
    if not places:
        return None
    at = np.array(places, np.int64).reshape(-1, 2)
    vectors = np.empty((len(at), 0), np.float32)
    for shard in np.unique(at[:, 0]).tolist():
        mine = np.flatnonzero(at[:, 0] == shard)
        block = read_vectors(shard_paths[shard], at[mine, 1])
        if vectors.shape[1] == 0:
            vectors = np.empty((len(at), block.shape[1]), np.float32)
        vectors[mine] = block
    return vectors


class ShardViews:
    """Each file's own view (``search.windows``), read from ``output_dir``'s shards on first
    use: the driver of a Ray search holds no vectors, and few files need one."""

    def __init__(self, output_dir: Path, paths: list[str], manifest: dict) -> None:
        self.output_dir, self.paths = output_dir, paths
        self.view_count = int(manifest.get("view_count", 1))
        self.where: tuple[list[Path], dict[str, tuple[int, int]]] | None = None
        self.read: dict[int, np.ndarray | None] = {}

    def __call__(self, i: int) -> np.ndarray | None:
        if i not in self.read:
            if self.where is None:
                self.where = located(self.output_dir)
            shard_paths, where = self.where
            place = where.get(self.paths[i])
            vectors = None if place is None else vectors_of(shard_paths, [place])
            self.read[i] = None if vectors is None else own_views(vectors, self.view_count)(0)
        return self.read[i]


def _relative(path: str, root: Path) -> str:
    return Path(path).relative_to(root).as_posix()
