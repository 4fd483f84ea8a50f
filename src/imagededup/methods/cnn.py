"""CNN: find duplicates by the cosine similarity of copy-detection CNN features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from imagededup.features import Encoded, encode_files
from imagededup.heap import return_freed_memory
from imagededup.images.discover import Listing
from imagededup.index import Index
from imagededup.methods.base import Finder, PathLike, Query, logger
from imagededup.models.onnx import OnnxModelSpec
from imagededup.models.registry import DEFAULT_MODEL, background, load_encoder
from imagededup.results import DuplicateMap, saved
from imagededup.search.copies import duplicate_pairs
from imagededup.search.graphics import SearchVectors
from imagededup.search.pairs import Pairs
from imagededup.search.refine import refined
from imagededup.search.sources import Sources
from imagededup.search.windows import Windows, own_views
from imagededup.store import EmbeddingStore
from imagededup.validation import (
    accept_removed,
    check_positive_int,
    check_similarity_threshold,
    stack_encoding_map,
)
from imagededup.vectors import normalize


class CNN(Finder[np.ndarray]):
    """Find duplicates with CNN features, or compute the features of one image or a folder.

    Features come from an ONNX embedding model (by default Meta's SSCD copy-detection descriptor,
    distilled to a MobileNetV4, 512-d); two images are duplicates when the cosine similarity of
    their features is at least ``min_similarity_threshold``.

    Example:
        >>> from imagededup.methods import CNN
        >>> files_to_remove = CNN().find_duplicates_to_remove(image_dir="path/to/images")
    """

    higher_is_closer = True

    def __init__(
        self,
        model: str | OnnxModelSpec = DEFAULT_MODEL,
        batch_size: int = 64,
        verbose: bool = True,
        cache: PathLike | None = None,
        backend: str = "auto",
        precision: str = "auto",
    ) -> None:
        """Load ``model`` (``"sscd_distilled"``, ``"sscd"``, ``"onnx:<path>"`` or a spec).

        ``batch_size`` images are decoded and embedded together (64, as in imagededup);
        ``verbose`` shows progress bars; ``cache`` is an SQLite file that keeps the vectors of
        files already encoded (keyed by path, device, inode, size, mtime, ctime and model), so
        re-runs only encode new or changed files and an interrupted run resumes. ``backend``
        (``"openvino"``, ``"onnxruntime"``) and ``precision`` (``"f32"``, ``"bf16"``) force what
        ``"auto"`` chooses: OpenVINO for the built-in models on a CPU, in f32.
        """
        super().__init__(verbose)
        check_positive_int("batch_size", batch_size)
        return_freed_memory()  # large temporary buffers go back to the OS (see heap.py)
        self.encoder = load_encoder(model, backend=backend, precision=precision)
        self._name = model if isinstance(model, str) else None  # a registered name has a background
        self.batch_size = batch_size
        self.store = None if cache is None else EmbeddingStore(cache, self.encoder.model_id)
        self.sources = Sources()
        """The files of the vectors ``encode_images`` returned, for the pixel checks of graphics."""

    @property
    def model_id(self) -> str:
        """What produced the vectors (weights, input, preprocessing): an index's model check."""
        return self.encoder.model_id

    @property
    def default_threshold(self) -> float:
        """The model's calibrated ``min_similarity_threshold``."""
        return self.encoder.default_threshold

    def encode_images(
        self, image_dir: PathLike, recursive: bool = False, num_enc_workers: int | None = None
    ) -> dict[str, np.ndarray]:
        """``{relative_path: feature_vector}`` (float32, unit length, shape ``(D,)``) for every
        decodable image in ``image_dir``.

        Files that cannot be decoded are logged once each and listed in ``self.skipped``.
        ``num_enc_workers`` threads each decode and embed whole batches (default: one per core).
        """
        encodings = super().encode_images(image_dir, recursive, num_enc_workers)
        self.sources.remember(encodings.values(), [Path(image_dir) / name for name in encodings])
        return encodings

    def find_duplicates(
        self,
        image_dir: PathLike | None = None,
        encoding_map: Mapping[str, np.ndarray] | None = None,
        min_similarity_threshold: float | None = None,
        scores: bool = False,
        outfile: PathLike | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
        against: Index | PathLike | None = None,
        **removed: object,
    ) -> DuplicateMap:
        """Duplicates of every file: ``{file: [dup, ...]}``, or ``{file: [(dup, score), ...]}``.

        Pass a folder (``image_dir``) or precomputed features (``encoding_map``, values of shape
        ``(D,)`` or ``(1, D)``). Two files are duplicates when their cosine similarity is at
        least ``min_similarity_threshold`` (default: the model's calibrated value). Every file is
        a key; lists are sorted by descending score (imagededup 0.3.3 kept file order).
        ``outfile`` also writes the result as JSON. 0.3.3's ``num_sim_workers`` is accepted and
        ignored.

        With ``against`` (an ``Index`` or a folder of reference images), each file is instead
        matched against that collection only: ``{file: [reference duplicate, ...]}``.
        """
        query = Query(image_dir, encoding_map, min_similarity_threshold, recursive, num_enc_workers)
        if against is None:
            return self._find(query, scores, outfile, removed)
        accept_removed(removed, "find_duplicates")
        index = against if isinstance(against, Index) else self._index(against, recursive)
        result = index.search(image_dir, encoding_map, min_similarity_threshold, scores, recursive)
        return saved(result, outfile)

    def find_duplicates_to_remove(
        self,
        image_dir: PathLike | None = None,
        encoding_map: Mapping[str, np.ndarray] | None = None,
        min_similarity_threshold: float | None = None,
        outfile: PathLike | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
        keep: str = "first",
        **removed: object,
    ) -> list[str]:
        """Files to remove so that exactly one file of every duplicate group is left.

        Groups are connected components of the duplicate pairs. ``keep`` chooses the file kept:
        ``"first"`` (the first of its group in input order: sorted names for a folder),
        ``"largest-resolution"``, ``"largest-file"``, ``"oldest"``, ``"newest"`` (modification
        time) or ``"shortest-path"``; ties go to input order, so the answer is deterministic.
        Policies that read files find them under ``image_dir``, or, with ``encoding_map``, take
        its names as paths (absolute or relative to the working directory). Nothing is deleted.
        """
        query = Query(image_dir, encoding_map, min_similarity_threshold, recursive, num_enc_workers)
        return self._to_remove(query, keep, outfile, removed)

    def threshold(self, value: float | None) -> float:
        """The validated threshold: the one given, else the model's default."""
        return check_similarity_threshold(self.default_threshold if value is None else value)

    @classmethod
    def parse_threshold(cls, text: str) -> float:
        return check_similarity_threshold(float(text))

    def view_count(self, vectors: np.ndarray) -> int:
        """Views per vector: the model's for its own vectors, 1 for any other encoding map."""
        return self.encoder.view_count if self._own(vectors) else 1

    def _own(self, vectors: np.ndarray) -> bool:
        """Whether the vectors have this model's length (so its views and background apply)."""
        return self.encoder.dim is not None and vectors.shape[1] == self.encoder.dim

    def _encode_one(self, source: Path | np.ndarray) -> np.ndarray:
        """Features of one image, shape ``(1, D)`` as imagededup 0.3.3 returned them."""
        pixels = self.encoder.prepare(source)
        return normalize(self.encoder.encode(self.encoder.collate([pixels])))

    def _encode_listing(self, num_workers: int | None, listing: Listing) -> Encoded:
        if self.store is not None:
            self.store.prune(listing.root)
        return encode_files(
            self.encoder,
            listing.paths,
            self.batch_size,
            num_workers,
            progress=self.verbose,
            store=self.store,
        )

    def _encodings(self, codes: np.ndarray) -> list[np.ndarray]:
        return list(normalize(codes))

    def _stack(self, encoding_map: Mapping[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
        return stack_encoding_map(encoding_map)

    def background(self, vectors: np.ndarray) -> np.ndarray | None:
        """The shipped background of the normalisation (``models.registry.background``) for
        this model's own vectors; None for other vectors or models without one."""
        if self._name is None or not self._own(vectors):
            return None
        return background(self._name)

    def _pairs(self, codes: np.ndarray, threshold: float) -> Pairs:
        views = self.view_count(codes)
        if self.encoder.dim is not None and not self._own(codes):  # dim None: length unknown
            logger.warning(
                "vectors of length %d, not %s's %d: searched as whole vectors, without this "
                "model's views or background, at a threshold calibrated for its own; search "
                "them with the model that made them (1024: CNN(model='sscd_distilled'), the "
                "default before 2026-12-02)",
                codes.shape[1],
                self.encoder.name,
                self.encoder.dim,
            )
        return duplicate_pairs(codes, threshold, views, background=self.background(codes))

    def _matches(
        self,
        codes: np.ndarray,
        threshold: float,
        names: Sequence[str],
        source: PathLike | Mapping[str, np.ndarray],
    ) -> Pairs:
        """The CNN's pairs, refined (``search.refine``): graphics searched below the threshold
        and decided by their pixels, copies joined through shared neighbours; an encoding
        map's files are found through ``self.sources``."""
        pairs = super()._matches(codes, threshold, names, source)
        searched = SearchVectors(
            codes, self.view_count(codes), self.background(codes), self.default_threshold
        )
        paths: Sequence[PathLike | None]
        if isinstance(source, Mapping):
            paths = self.sources.paths((name, source[name]) for name in names)
        else:
            paths = [Path(source) / name for name in names]
        windows = None
        if self._own(codes):  # the model that made the vectors embeds the windows
            windows = Windows(paths, self.encoder.windows, own_views(codes, searched.view_count))
        return refined(pairs, paths, threshold, searched, windows=windows)

    def _index(self, folder: PathLike, recursive: bool) -> Index:
        return Index(self).add(image_dir=folder, recursive=recursive)
