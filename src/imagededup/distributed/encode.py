"""Encode a collection on a Ray cluster: paths -> decode tasks -> encoder actors -> Parquet shards.

The driver lists the files, stats them and drops those already encoded in ``output_dir`` (same
path, size, mtime and model); Ray Data streams the rest through ``load_views`` (the decoder of the
single-machine path, so vectors are the same) and a pool of actors that each hold one ONNX
session. On CPUs Ray fuses decoding into the actors; with ``num_gpus`` decoding runs as CPU tasks
and only inference runs on the GPU actors. Shards are written as they fill, so an interrupted run
keeps what it wrote and the next run encodes only the rest.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import ray

from imagededup.distributed import shards
from imagededup.distributed.cluster import connect, default_workers
from imagededup.images.decode import load_views
from imagededup.images.discover import list_images
from imagededup.images.loader import iter_batches
from imagededup.models.onnx import OnnxModelSpec
from imagededup.models.registry import DEFAULT_MODEL, load_encoder
from imagededup.store import FileKey, file_key
from imagededup.validation import check_positive_int

logger = logging.getLogger("imagededup")

PathLike = str | os.PathLike[str]
BATCHES_PER_BLOCK = 4
"""Input blocks of at most ``4 * batch_size`` paths, fewer when that leaves an actor idle."""
SHARD_ROWS = 4096
"""Rows per Parquet file, about 8 MiB of 512-d vectors: few files, little lost to a crash."""
WRITE_RESOURCES = {"num_cpus": 0}
"""Writing shards is light I/O; reserving no core for it lets the actors take every core
without the writes waiting for one (which Ray warns may hang the job)."""


@dataclass
class EncodeResult:
    """What one ``encode_dataset`` call did."""

    output_dir: Path
    encoded: int = 0
    """Files encoded and written by this call."""
    reused: int = 0
    """Files already in ``output_dir`` with the same size, mtime and model: not encoded again."""
    skipped: dict[str, str] = field(default_factory=dict)
    """``{path: reason}`` for the files of this call that could not be listed, read or decoded."""
    files: list[str] = field(default_factory=list)
    """Absolute paths of this call's files that have an embedding in ``output_dir`` now."""


def encode_dataset(
    paths_or_glob: PathLike | Iterable[PathLike],
    output_dir: PathLike,
    model: str | OnnxModelSpec = DEFAULT_MODEL,
    address: str | None = None,
    num_workers: int | None = None,
    batch_size: int = 64,
    num_gpus: float | None = None,
    *,
    recursive: bool = True,
    progress: bool = False,
) -> EncodeResult:
    """Embed images on Ray and write Parquet shards to ``output_dir`` (see ``shards``).

    ``paths_or_glob``: a folder (its images, in sub-folders too unless ``recursive=False``), a
    glob pattern (``"/data/**/*.jpg"``), one file, or an iterable of file paths. Every node must
    see them, and ``output_dir``, under the same paths (a shared file system).
    ``address``: None starts a local Ray instance; ``"auto"`` or ``"ray://host:port"`` joins a
    cluster (see ``cluster.connect``). ``num_workers`` encoder actors run ``batch_size`` images
    at a time (default: one actor per CPU, or per ``num_gpus`` GPUs when that is given: GPUs per
    actor, fractions allowed; GPU nodes need ``onnxruntime-gpu``). ``progress`` shows Ray's bars.
    """
    check_positive_int("batch_size", batch_size)
    files, skipped = resolve_inputs(paths_or_glob, recursive)
    encoder = load_encoder(model, threads=1)
    output_dir = Path(output_dir)
    shards.claim(output_dir, encoder.model_id, encoder.default_threshold, encoder.view_count)
    done = shards.done_keys(output_dir, encoder.model_id)
    result = EncodeResult(output_dir, skipped=skipped)
    pending: list[FileKey] = []
    for path in files:
        key = file_key(path)
        if key is None:
            result.skipped[path] = "cannot read file information (deleted or moved after listing?)"
        elif key in done:
            result.reused += 1
        else:
            pending.append(key)
    if pending:
        connect(address, progress)
        run_dir = shards.new_run_dir(output_dir)
        embed = {"model": model, "model_id": encoder.model_id}
        spec = encoder.spec
        views = {"size": spec.input_size, "angles": spec.views, "view_size": spec.view_size}
        dataset = _pipeline(pending, views, embed, num_workers, batch_size, num_gpus)
        dataset.write_parquet(
            os.fspath(run_dir), min_rows_per_file=SHARD_ROWS, ray_remote_args=WRITE_RESOURCES
        )
        failures = shards.read_failures(run_dir)
        result.encoded = shards.count_rows(run_dir) - len(failures)
        result.skipped.update(failures)
    result.files = [path for path in files if path not in result.skipped]
    for path, reason in result.skipped.items():
        logger.warning("Skipping %s: %s", path, reason)
    return result


def resolve_inputs(
    paths_or_glob: PathLike | Iterable[PathLike], recursive: bool
) -> tuple[list[str], dict[str, str]]:
    """Absolute paths of the files to encode, without repeats, and what listing had to skip."""
    if isinstance(paths_or_glob, str | os.PathLike):
        source = os.fspath(paths_or_glob)
        if os.path.isdir(source):
            listing = list_images(source, recursive=recursive)
            skipped = {os.fspath(listing.root / name): why for name, why in listing.skipped.items()}
            return [os.fspath(path) for path in listing.paths], skipped
        if any(magic in source for magic in "*?["):
            paths = sorted(p for p in glob.glob(source, recursive=True) if os.path.isfile(p))
        else:
            paths = [source]
    else:
        paths = [os.fspath(path) for path in paths_or_glob]
    return list(dict.fromkeys(os.path.abspath(path) for path in paths)), {}


def _pipeline(
    pending: list[FileKey],
    views: dict,
    embed: dict,
    num_workers: int | None,
    batch_size: int,
    num_gpus: float | None,
) -> ray.data.Dataset:
    """Ray Data plan: blocks of file keys -> decoded pixels -> rows of the shard schema."""
    workers = num_workers or default_workers(num_gpus)
    rows = min(BATCHES_PER_BLOCK * batch_size, -(-len(pending) // workers))
    blocks = [
        shards.key_table(pending[start : start + rows]) for start in range(0, len(pending), rows)
    ]
    resources = {"num_gpus": num_gpus} if num_gpus else {"num_cpus": 1}
    return (
        ray.data.from_arrow(blocks)
        .map_batches(decode_batch, fn_kwargs=views, batch_size=batch_size)
        .map_batches(
            Embedder,
            fn_constructor_kwargs=embed,
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=workers),
            **resources,
        )
    )


def decode_batch(
    batch: dict[str, np.ndarray], size: int, angles: tuple[float, ...], view_size: int | None
) -> dict[str, np.ndarray]:
    """Add the model's input (image and views) of each file, zeros where it failed, and why."""
    paths = [os.fsdecode(path) for path in batch["path"]]
    view_size = view_size or size
    pixels = np.zeros((len(paths), size, size, 3), np.uint8)
    views = np.zeros((len(paths), len(angles), view_size, view_size, 3), np.uint8)
    errors = np.full(len(paths), "", dtype=object)
    decode = partial(load_views, size=size, angles=tuple(angles), view_size=view_size)
    for decoded in iter_batches(paths, decode, max(1, len(paths)), num_workers=1):
        for index, (image, rotated) in zip(decoded.indices, decoded.items, strict=True):
            pixels[index], views[index] = image, rotated
        for index, reason in decoded.failures:
            errors[index] = reason
    return {**batch, "pixels": pixels, "views": views, "error": errors}


class Embedder:
    """A Ray actor's model: one ONNX session, embedding the decoded rows of each batch."""

    def __init__(self, model: str | OnnxModelSpec, model_id: str) -> None:
        self.encoder = load_encoder(model, threads=1)
        if self.encoder.model_id != model_id:
            raise RuntimeError(
                f"this node's model is {self.encoder.model_id!r}, the driver's {model_id!r}:"
                " install the same imagededup and weights on every node"
            )
        empty = self.encoder.prepare(np.zeros((1, 1), np.uint8))
        self.dim = self.encoder.encode(self.encoder.collate([empty])).shape[1]

    def __call__(self, batch: dict[str, np.ndarray]) -> pa.Table:
        encoded = np.asarray(batch["error"] == "", dtype=bool)
        vectors = (
            self.encoder.encode((batch["pixels"][encoded], batch["views"][encoded]))
            if encoded.any()
            else np.empty((0, self.dim), np.float32)
        )
        keys = list(
            zip(batch["path"], batch["size"].tolist(), batch["mtime_ns"].tolist(), strict=True)
        )
        errors = [error or None for error in batch["error"]]
        return shards.shard_table(keys, self.encoder.model_id, vectors, encoded, errors)
