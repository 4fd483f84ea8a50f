"""Run an ONNX image-embedding model with onnxruntime (CUDA when available, else CPU)."""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort

from imagededup.images.decode import DECODER_VERSION


@dataclass(frozen=True)
class OnnxModelSpec:
    """What imagededup needs to know to feed an ONNX model and read its embedding.

    ``input_dtype="uint8"`` feeds raw RGB pixels; ``"float32"`` feeds ``(pixels/255 - mean)/std``.
    """

    name: str
    path: Path
    input_size: int = 224
    layout: Literal["NHWC", "NCHW"] = "NHWC"
    input_dtype: Literal["uint8", "float32"] = "uint8"
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    default_threshold: float = 0.8


class OnnxEncoder:
    """An embedding model behind the small interface every method uses: ``encode(pixels)``."""

    def __init__(
        self, spec: OnnxModelSpec, providers: list[str] | None = None, threads: int | None = None
    ) -> None:
        """``threads`` caps onnxruntime's intra-op threads (default: one per core), so that
        several encoders in one machine (e.g. Ray actors) do not oversubscribe its cores."""
        if not Path(spec.path).is_file():
            raise FileNotFoundError(f"ONNX model file not found: {spec.path}")
        self.spec = spec
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads or 0
        self.session = ort.InferenceSession(
            os.fspath(spec.path), sess_options=options, providers=providers or default_providers()
        )
        self.input_name = self.session.get_inputs()[0].name

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
        """Identifies what produced a vector (weights, input, preprocessing), for the cache."""
        digest = hashlib.sha256(Path(self.spec.path).read_bytes()).hexdigest()[:16]
        spec = self.spec
        return (
            f"{spec.name}|{digest}|{spec.input_size}|{spec.layout}|{spec.input_dtype}"
            f"|{spec.mean}|{spec.std}|decode-v{DECODER_VERSION}"
        )

    def encode(self, pixels: np.ndarray) -> np.ndarray:
        """Embed a ``NxSxSx3`` uint8 RGB batch; returns ``NxD`` float32 rows of unit length."""
        feed = pixels
        if self.spec.input_dtype == "float32":
            mean = np.asarray(self.spec.mean, dtype=np.float32)
            std = np.asarray(self.spec.std, dtype=np.float32)
            feed = (pixels.astype(np.float32) / 255.0 - mean) / std
        if self.spec.layout == "NCHW":
            feed = feed.transpose(0, 3, 1, 2)
        output = self.session.run(None, {self.input_name: np.ascontiguousarray(feed)})[0]
        return normalize(output.reshape(len(pixels), -1))


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def default_providers() -> list[str]:
    """CUDA first when this onnxruntime build has it, then the CPU."""
    available = ort.get_available_providers()
    preferred = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return [p for p in preferred if p in available] or available
