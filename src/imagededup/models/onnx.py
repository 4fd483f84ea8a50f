"""Run an ONNX image-embedding model on an inference backend (OpenVINO or onnxruntime)."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from imagededup.images.decode import DECODER_VERSION, load_views, load_windows
from imagededup.images.loader import default_workers
from imagededup.images.views import View, Window
from imagededup.models.backends import load_backend
from imagededup.vectors import EMBEDDING_DTYPE, normalize

SESSION_BATCH = 8
"""Images per inference call: as fast here as 16, 32 or 64, with far less activation memory
(each encoding thread keeps its own: 100 MiB less than 16 for two threads)."""


@dataclass(frozen=True)
class OnnxModelSpec:
    """What imagededup needs to know to feed an ONNX model and read its embedding.

    ``input_dtype="uint8"`` feeds raw RGB pixels; ``"float32"`` feeds ``(pixels/255 - mean)/std``.
    ``views`` are extra rotations (degrees) or centre crops (see ``images.views``) embedded
    beside the image itself, so that rotated and cropped copies match (see ``encode``), at
    ``view_size`` pixels (default: ``input_size``).
    """

    name: str
    path: Path
    input_size: int = 224
    layout: Literal["NHWC", "NCHW"] = "NHWC"
    input_dtype: Literal["uint8", "float32"] = "uint8"
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    default_threshold: float = 0.8
    views: tuple[View, ...] = ()
    view_size: int | None = None


class OnnxEncoder:
    """An embedding model behind the small interface every method uses: ``encode(pixels)``."""

    def __init__(
        self,
        spec: OnnxModelSpec,
        threads: int | None = None,
        backend: str = "auto",
        precision: str = "auto",
        tested_on_openvino: bool = False,
    ) -> None:
        """Load ``spec`` into ``backend`` (see ``imagededup.models.backends.load_backend``) for
        ``threads`` threads encoding at once (default: one per core); ``tested_on_openvino``: the
        model is one of ``OPENVINO_MODELS``, which ``backend="auto"`` runs on OpenVINO."""
        if not Path(spec.path).is_file():
            raise FileNotFoundError(f"ONNX model file not found: {spec.path}")
        self.spec = spec
        self.backend = load_backend(
            Path(spec.path),
            [
                self._input_shape(spec.input_size),
                self._input_shape(spec.view_size or spec.input_size),
            ]
            if spec.views
            else [self._input_shape(spec.input_size)],
            SESSION_BATCH,
            threads or default_workers(),
            backend,
            precision,
            tested_on_openvino,
        )

    def _input_shape(self, size: int) -> tuple[int, ...]:
        return (size, size, 3) if self.spec.layout == "NHWC" else (3, size, size)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def input_size(self) -> int:
        return self.spec.input_size

    @property
    def default_threshold(self) -> float:
        return self.spec.default_threshold

    @functools.cached_property
    def model_id(self) -> str:
        """Identifies what produced a vector (weights, input, preprocessing, precision), for the
        cache. Backends agree to 1e-5 in float32, below float16 storage, so the backend is not
        part of it; bfloat16 moves vectors by up to 0.004 cosine, so the precision is."""
        digest = hashlib.sha256(Path(self.spec.path).read_bytes()).hexdigest()[:16]
        spec = self.spec
        return (
            f"{spec.name}|{digest}|{spec.input_size}|{spec.layout}|{spec.input_dtype}"
            f"|{spec.mean}|{spec.std}|{spec.views}|{spec.view_size}|decode-v{DECODER_VERSION}"
            f"|{np.dtype(EMBEDDING_DTYPE).name}|{self.backend.precision}"
        )

    @property
    def dim(self) -> int | None:
        """Length of an image's vector, when the model's output size is fixed."""
        size = self.backend.output_size
        return None if size is None else size * self.view_count

    @property
    def view_count(self) -> int:
        """Vectors per image: the image itself and each rotated view."""
        return 1 + len(self.spec.views)

    def prepare(self, source: str | os.PathLike[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decode a file or array to this model's input: the image and its rotated views."""
        spec = self.spec
        return load_views(source, spec.input_size, spec.views, spec.view_size)

    @staticmethod
    def collate(items: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """A batch of prepared images: stacked images and stacked views."""
        return np.stack([image for image, _ in items]), np.stack([views for _, views in items])

    def encode(self, batch: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Embed a collated batch (``N x S x S x 3`` images, ``N x V x s x s x 3`` views).

        Each view is embedded to unit length; an image's vector is its own and its views'
        vectors side by side, scaled by ``1/sqrt(view_count)`` so that it has unit length too
        and a plain dot product of two images stays the average similarity of their views.
        Returned as ``EMBEDDING_DTYPE``.
        """
        images, views = batch
        parts = [self._embed(images)]
        if views.shape[1]:
            flat = self._embed(views.reshape(-1, *views.shape[2:]))
            parts.append(flat.reshape(len(images), -1))
        vectors = np.concatenate(parts, axis=1) / np.float32(np.sqrt(self.view_count))
        return vectors.astype(EMBEDDING_DTYPE)

    def windows(
        self,
        source: str | os.PathLike[str] | np.ndarray,
        windows: Sequence[Window],
    ) -> np.ndarray:
        """Unit vectors of ``windows`` of ``source`` (``images.decode.load_windows``), each
        embedded as a view is (at the views' size), one row each. Raises ``DecodeError``."""
        spec = self.spec
        size = (spec.view_size or spec.input_size) if spec.views else spec.input_size
        return self._embed(load_windows(source, spec.input_size, windows, size))

    def _embed(self, pixels: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                self._run(pixels[start : start + SESSION_BATCH])
                for start in range(0, len(pixels), SESSION_BATCH)
            ]
        )

    def _run(self, pixels: np.ndarray) -> np.ndarray:
        feed = pixels
        if self.spec.input_dtype == "float32":
            mean = np.asarray(self.spec.mean, dtype=np.float32)
            std = np.asarray(self.spec.std, dtype=np.float32)
            feed = (pixels.astype(np.float32) / 255.0 - mean) / std
        if self.spec.layout == "NCHW":
            feed = feed.transpose(0, 3, 1, 2)
        return normalize(self.backend.run(feed).reshape(len(pixels), -1))
