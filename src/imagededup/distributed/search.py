"""Find duplicates among the embeddings that ``encode_dataset`` wrote: load, search, report.

The shards are loaded into one matrix (4 KiB per image: about 25 million images in 100 GiB) and
searched with ``search.auto`` (exact up to 50,000 vectors, IVF above). Beyond one machine's
memory, ``ray_search.find_duplicates_on_ray`` runs the same search partitioned on a Ray cluster.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from imagededup.distributed import shards
from imagededup.heap import return_freed_memory
from imagededup.models.onnx import OnnxEncoder
from imagededup.models.registry import BUILTIN_MODELS, background, load_encoder
from imagededup.results import DuplicateMap, duplicate_map, saved
from imagededup.search.copies import duplicate_pairs
from imagededup.search.graphics import SearchVectors
from imagededup.search.pairs import Pairs
from imagededup.search.refine import refined
from imagededup.search.windows import Windows, own_views
from imagededup.validation import check_similarity_threshold

PathLike = str | os.PathLike[str]


def find_duplicates_from_parquet(
    output_dir: PathLike,
    min_similarity_threshold: float | None = None,
    scores: bool = False,
    outfile: PathLike | None = None,
    approximate: bool | None = None,
    root: PathLike | None = None,
    files: Iterable[PathLike] | None = None,
) -> DuplicateMap:
    """Duplicates among the files encoded in ``output_dir``, in ``CNN.find_duplicates``'s format,
    refined as ``CNN`` refines its own pairs (``search.refine``).

    Keys are absolute paths, as stored: they stay the same whatever is added to the collection.
    With ``root``, only files under ``root`` are searched and keys are relative to it (POSIX
    separators), exactly as ``CNN().find_duplicates(image_dir=root, recursive=True)`` names them.
    ``files`` searches only these files (e.g. ``EncodeResult.files``), not every file ever
    encoded into ``output_dir`` (which keeps the rows of files deleted since).
    ``min_similarity_threshold`` defaults to the threshold of the model that encoded them;
    ``approximate`` forces IVF (True) or exact search (False) instead of choosing by size.
    """
    return_freed_memory()
    output_dir = Path(output_dir)
    manifest, threshold = search_settings(output_dir, min_similarity_threshold)
    paths, vectors = shards.read_embeddings(output_dir)
    names = paths if root is None else relative_names(paths, root)
    wanted = None if files is None else {os.path.abspath(path) for path in files}
    keep = sorted(
        (name, i)
        for i, (name, path) in enumerate(zip(names, paths, strict=True))
        if name is not None and (wanted is None or path in wanted)
    )
    names, vectors = [name for name, _ in keep], vectors[[i for _, i in keep]]
    views = manifest.get("view_count", 1)
    pairs = Pairs.empty()
    searched = SearchVectors(
        vectors, views, background_of(manifest), manifest.get("default_threshold")
    )
    if names:
        pairs = duplicate_pairs(vectors, threshold, views, approximate, searched.background)
    files = [paths[i] for _, i in keep]
    windows = windows_of(manifest, files, own_views(vectors, views))
    pairs = refined(pairs, files, threshold, searched, windows=windows)
    return saved(duplicate_map(names, pairs, scores=scores), outfile)


def search_settings(output_dir: Path, threshold: float | None) -> tuple[dict, float]:
    """The manifest of ``output_dir`` and the threshold to search with (default: the model's)."""
    manifest = shards.read_manifest(output_dir)
    if manifest is None:
        raise FileNotFoundError(f"{output_dir} holds no embeddings (run encode_dataset first)")
    default = manifest["default_threshold"] if threshold is None else threshold
    return manifest, check_similarity_threshold(default)


def background_of(manifest: dict) -> np.ndarray | None:
    """The shipped background (``models.registry.background``) of the model that encoded the
    shards, named first in its ``model_id``."""
    return background(str(manifest.get("model_id", "")).split("|", 1)[0])


def windows_of(
    manifest: dict, paths: Sequence[PathLike], own: Callable[[int], np.ndarray | None]
) -> Windows | None:
    """Windows of ``paths`` (``search.windows``; ``own``: each file's own view) embedded by the
    registered model that encoded the shards, loaded on first use; None for a model not
    registered here."""
    name = str(manifest.get("model_id", "")).split("|", 1)[0]
    if name not in BUILTIN_MODELS:
        return None
    return Windows(paths, lambda path, parts: _encoder(name).windows(path, parts), own)


@cache
def _encoder(name: str) -> OnnxEncoder:
    return load_encoder(name)


def relative_names(paths: list[str], root: PathLike) -> list[str | None]:
    """Each path relative to ``root`` with POSIX separators, or None if it is not under it."""
    prefix = os.path.join(os.path.abspath(root), "")
    return [
        Path(path[len(prefix) :]).as_posix() if path.startswith(prefix) else None for path in paths
    ]
