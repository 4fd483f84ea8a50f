"""onnxruntime backend: any ONNX model, on CUDA when this onnxruntime build has it, else the CPU."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort


class OnnxRuntimeBackend:
    """One onnxruntime session shared by all threads (``run`` is thread-safe), float32 only.

    Each call runs on one thread: callers run batches in parallel, one per core (measured 15%
    faster on 2 cores than one session with two threads fed by decoding threads).
    """

    name = "onnxruntime"
    precision = "f32"

    def __init__(self, path: Path, providers: list[str] | None = None) -> None:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(
            os.fspath(path), sess_options=options, providers=providers or default_providers()
        )
        self.input_name = self.session.get_inputs()[0].name

    @property
    def output_size(self) -> int | None:
        size = self.session.get_outputs()[0].shape[-1]
        return size if isinstance(size, int) else None

    def run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.ascontiguousarray(batch)})[0]


def default_providers() -> list[str]:
    """CUDA first when this onnxruntime build has it, then the CPU."""
    available = ort.get_available_providers()
    preferred = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return [p for p in preferred if p in available] or available
