"""The interface every inference backend offers: one ONNX model, a batch of inputs in, rows out."""

from __future__ import annotations

from typing import Protocol

import numpy as np

PRECISIONS = ("f32", "bf16")
"""Arithmetic a backend may run the model in: float32, or bfloat16 where the CPU has it."""


class Backend(Protocol):
    """An ONNX model loaded into an inference engine, safe to call from several threads at once.

    Built by ``load_backend`` (see ``imagededup.models.backends``) from the model file, the input
    shapes it will be fed, the batch size of one call, the threads to use and the precision.
    """

    name: str
    """``"openvino"`` or ``"onnxruntime"``."""
    precision: str
    """One of ``PRECISIONS``: what the engine really computes in, not only what was asked."""

    @property
    def output_size(self) -> int | None:
        """Length of one output row, when the model fixes it."""
        ...

    def run(self, batch: np.ndarray) -> np.ndarray:
        """The model's first output for ``batch`` (at most the load-time batch), a row each."""
        ...
