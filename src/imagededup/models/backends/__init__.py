"""Inference backends behind one protocol (``Backend``), and the automatic choice between them.

``"openvino"`` is the CPU default for the built-in models: faster than onnxruntime on the same
file, and in bfloat16 where the CPU computes it natively (AVX512-BF16 or AMX). ``"onnxruntime"``
runs any ONNX model (``onnx:<path>``) and uses CUDA when ``onnxruntime-gpu`` finds a GPU.
Backend modules are imported only when chosen.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Sequence
from pathlib import Path

from imagededup.models.backends.base import PRECISIONS, Backend

BACKENDS = ("openvino", "onnxruntime")


def load_backend(
    path: Path,
    input_shapes: Sequence[tuple[int, ...]],
    batch: int,
    threads: int,
    backend: str = "auto",
    precision: str = "auto",
    tested_on_openvino: bool = True,
) -> Backend:
    """Load ``path`` into ``backend`` (``"auto"``: see ``choose_backend``) in ``precision``.

    ``input_shapes`` (one image each) and ``batch`` are the largest calls that will be made;
    ``threads`` is the number of threads that will call ``run`` at once.
    """
    name = choose_backend(backend, tested_on_openvino)
    precision = choose_precision(name, precision)
    if name == "openvino":
        from imagededup.models.backends.openvino import OpenVinoBackend

        return OpenVinoBackend(path, input_shapes, batch, threads, precision)
    if precision != "f32":
        raise ValueError(f"onnxruntime runs in f32 only, not {precision}")
    from imagededup.models.backends.onnxruntime import OnnxRuntimeBackend

    return OnnxRuntimeBackend(path)


def choose_backend(backend: str = "auto", tested_on_openvino: bool = True) -> str:
    """``backend`` itself, or for ``"auto"``: OpenVINO for a model tested on it, on the CPU; else
    onnxruntime (other ONNX files, a CUDA GPU, or OpenVINO not installed)."""
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"backend must be 'auto', 'openvino' or 'onnxruntime', got {backend!r}")
    if backend != "auto":
        return backend
    if not tested_on_openvino or importlib.util.find_spec("openvino") is None or has_cuda():
        return "onnxruntime"
    return "openvino"


def has_cuda() -> bool:
    """Whether onnxruntime would run on a GPU here: ``onnxruntime-gpu`` with a CUDA provider
    (onnxruntime itself is not imported otherwise, which saves half a second)."""
    try:
        importlib.metadata.version("onnxruntime-gpu")
    except importlib.metadata.PackageNotFoundError:
        return False
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def choose_precision(backend: str, precision: str = "auto") -> str:
    """``precision`` itself, or for ``"auto"``: bf16 on OpenVINO where the CPU has it, else f32."""
    if precision not in ("auto", *PRECISIONS):
        raise ValueError(f"precision must be 'auto', 'f32' or 'bf16', got {precision!r}")
    if precision != "auto":
        return precision
    if backend != "openvino":
        return "f32"
    from imagededup.models.backends.openvino import cpu_has_bf16

    return "bf16" if cpu_has_bf16() else "f32"


__all__ = [
    "BACKENDS",
    "PRECISIONS",
    "Backend",
    "choose_backend",
    "choose_precision",
    "load_backend",
]
