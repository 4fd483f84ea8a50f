"""CNN: find duplicates by the cosine similarity of copy-detection CNN features."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from imagededup.features import encode_files
from imagededup.groups import check_keep_policy, files_to_remove_under
from imagededup.heap import return_freed_memory
from imagededup.images.decode import DecodeError
from imagededup.images.discover import list_images
from imagededup.index import Index
from imagededup.models.onnx import OnnxModelSpec
from imagededup.models.registry import DEFAULT_MODEL, load_encoder
from imagededup.results import DuplicateMap, duplicate_map, saved
from imagededup.search.copies import duplicate_pairs
from imagededup.search.pairs import Pairs
from imagededup.search.sources import Sources
from imagededup.search.verify import verified
from imagededup.store import EmbeddingStore
from imagededup.validation import (
    check_one_image,
    check_one_source,
    check_similarity_threshold,
    stack_encoding_map,
)
from imagededup.vectors import normalize

PathLike = str | os.PathLike[str]


class CNN:
    """Find duplicates with CNN features, or compute the features of one image or a folder.

    Features come from an ONNX embedding model (by default Meta's SSCD copy-detection descriptor,
    distilled to a MobileNetV4, 512-d); two images are duplicates when the cosine similarity of
    their features is at least ``min_similarity_threshold``.

    Example:
        >>> from imagededup.methods import CNN
        >>> files_to_remove = CNN().find_duplicates_to_remove(image_dir="path/to/images")
    """

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
        files already encoded (keyed by path, size, mtime and model), so re-runs only encode
        new or changed files and an interrupted run resumes. ``backend`` (``"openvino"``,
        ``"onnxruntime"``) and ``precision`` (``"f32"``, ``"bf16"``) force what ``"auto"``
        chooses: OpenVINO for the built-in models on a CPU, in bf16 where the CPU has it.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        return_freed_memory()  # large temporary buffers go back to the OS (see heap.py)
        self.encoder = load_encoder(model, backend=backend, precision=precision)
        self.batch_size = batch_size
        self.verbose = verbose
        self.store = None if cache is None else EmbeddingStore(cache, self.encoder.model_id)
        self.skipped: dict[str, str] = {}
        """Files of the last ``encode_images`` call that could not be decoded, with the reason."""
        self.sources = Sources()
        """The files of the vectors ``encode_images`` returned, for the pixel checks of graphics."""

    @property
    def default_threshold(self) -> float:
        """The model's calibrated ``min_similarity_threshold``."""
        return self.encoder.default_threshold

    def encode_image(
        self, image_file: PathLike | None = None, image_array: np.ndarray | None = None
    ) -> np.ndarray:
        """Feature vector (float32, unit length) of one image given as a file or a uint8 array.

        Raises ``ValueError`` unless exactly one of the two is given, or if it cannot be decoded.
        """
        source = check_one_image(image_file, image_array)
        try:
            pixels = self.encoder.prepare(source)
        except DecodeError as exc:
            raise ValueError(f"cannot encode {image_file}: {exc}") from exc
        return normalize(self.encoder.encode(self.encoder.collate([pixels])))[0]

    def encode_images(
        self, image_dir: PathLike, recursive: bool = False, num_enc_workers: int | None = None
    ) -> dict[str, np.ndarray]:
        """``{relative_path: feature_vector}`` for every decodable image in ``image_dir``.

        Files that cannot be decoded are logged once each and listed in ``self.skipped``.
        ``num_enc_workers`` threads each decode and embed whole batches (default: one per core).
        """
        names, vectors = self.encode_matrix(image_dir, recursive, num_enc_workers)
        vectors = normalize(vectors)
        self.sources.remember(vectors, [Path(image_dir) / name for name in names])
        return dict(zip(names, vectors, strict=True))

    def encode_matrix(
        self, image_dir: PathLike, recursive: bool = False, num_enc_workers: int | None = None
    ) -> tuple[list[str], np.ndarray]:
        """Like ``encode_images``, as a list of names and one ``N x D`` float16 matrix.

        Half the memory of ``encode_images``' float32 vectors, with the same values.
        """
        listing = list_images(image_dir, recursive=recursive)
        if self.store is not None:
            self.store.prune(listing.root)
        encoded = encode_files(
            self.encoder,
            listing.paths,
            self.batch_size,
            num_enc_workers,
            progress=self.verbose,
            store=self.store,
        )
        self.skipped = dict(listing.skipped)
        self.skipped.update({listing.names[i]: why for i, why in encoded.failures.items()})
        return [listing.names[i] for i in encoded.indices], encoded.vectors

    def find_duplicates(
        self,
        image_dir: PathLike | None = None,
        encoding_map: dict[str, np.ndarray] | None = None,
        min_similarity_threshold: float | None = None,
        scores: bool = False,
        outfile: PathLike | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
        against: Index | PathLike | None = None,
    ) -> DuplicateMap:
        """Duplicates of every file: ``{file: [dup, ...]}``, or ``{file: [(dup, score), ...]}``.

        Pass a folder (``image_dir``) or precomputed features (``encoding_map``). Two files are
        duplicates when their cosine similarity is at least ``min_similarity_threshold`` (default:
        the model's calibrated value). Every file is a key; lists are sorted by descending score
        (imagededup 0.3.3 kept file order; the seed asks for scores, which sorting makes useful).
        ``outfile`` also writes the result as JSON.

        With ``against`` (an ``Index`` or a folder of reference images), each file is instead
        matched against that collection only: ``{file: [reference duplicate, ...]}``.
        """
        if against is not None:
            result = self._reference_index(against, recursive).search(
                image_dir, encoding_map, min_similarity_threshold, scores, recursive
            )
        else:
            names, pairs = self._search(
                image_dir, encoding_map, min_similarity_threshold, recursive, num_enc_workers
            )
            result = duplicate_map(names, pairs, scores=scores)
        return saved(result, outfile)

    def find_duplicates_to_remove(
        self,
        image_dir: PathLike | None = None,
        encoding_map: dict[str, np.ndarray] | None = None,
        min_similarity_threshold: float | None = None,
        outfile: PathLike | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
        keep: str = "first",
    ) -> list[str]:
        """Files to remove so that exactly one file of every duplicate group is left.

        Groups are connected components of the duplicate pairs. ``keep`` chooses the file kept:
        ``"first"`` (the first of its group in input order: sorted names for a folder),
        ``"largest-resolution"``, ``"largest-file"``, ``"oldest"``, ``"newest"`` (modification
        time) or ``"shortest-path"``; ties go to input order, so the answer is deterministic.
        Policies that read files find them under ``image_dir``, or, with ``encoding_map``, take
        its names as paths (absolute or relative to the working directory). Nothing is deleted.
        """
        check_keep_policy(keep)
        names, pairs = self._search(
            image_dir, encoding_map, min_similarity_threshold, recursive, num_enc_workers
        )
        return saved(files_to_remove_under(image_dir, names, pairs, keep), outfile)

    def _search(
        self,
        image_dir: PathLike | None,
        encoding_map: dict[str, np.ndarray] | None,
        min_similarity_threshold: float | None,
        recursive: bool,
        num_enc_workers: int | None,
    ) -> tuple[list[str], Pairs]:
        threshold = self.threshold(min_similarity_threshold)
        names, vectors = self.vectors(image_dir, encoding_map, recursive, num_enc_workers)
        if not names:
            return names, Pairs.empty()
        pairs = duplicate_pairs(vectors, threshold, self.view_count(vectors))
        if image_dir is not None:
            return names, verified(pairs, [Path(image_dir) / name for name in names])
        return names, verified(pairs, self.sources.paths(encoding_map[name] for name in names))

    def threshold(self, min_similarity_threshold: float | None) -> float:
        """The validated threshold: the one given, else the model's default."""
        return check_similarity_threshold(
            self.default_threshold if min_similarity_threshold is None else min_similarity_threshold
        )

    def vectors(
        self,
        image_dir: PathLike | None = None,
        encoding_map: dict[str, np.ndarray] | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
    ) -> tuple[list[str], np.ndarray]:
        """Names and unit-length vectors of a folder (encoded) or of an encoding map."""
        check_one_source(image_dir, encoding_map)
        if image_dir is not None:
            return self.encode_matrix(image_dir, recursive, num_enc_workers)
        return stack_encoding_map(encoding_map)

    def view_count(self, vectors: np.ndarray) -> int:
        """Views per vector: the model's for its own vectors, 1 for any other encoding map."""
        return self.encoder.view_count if vectors.shape[1] == self.encoder.dim else 1

    def _reference_index(self, against: Index | PathLike, recursive: bool) -> Index:
        if isinstance(against, Index):
            return against
        return Index(cnn=self).add(image_dir=against, recursive=recursive)
