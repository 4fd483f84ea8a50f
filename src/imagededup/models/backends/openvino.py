"""OpenVINO backend: the CPU default, about 1.4x onnxruntime's speed on the same ONNX file.

The ONNX file is read as it is (nothing converted or cached on disk) and compiled once per
input shape for a fixed batch size: static shapes run 10-20% faster than dynamic ones; a short
batch runs image by image on a one-image model, compiled when first needed. Each calling thread
gets its own inference request, and the model has one single-threaded stream per thread, so that
threads never wait for each other.

``import openvino`` also imports its model-conversion tools, which we do not use: they take
0.7 s to import, write a client id under ``~/intel`` and send a usage event to Google Analytics
(``openvino-telemetry``, on unless opted out). The runtime is imported without them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np


def _import_runtime():
    """``import openvino`` without ``openvino.tools.ovc`` (its ``__init__`` skips it on
    ImportError); a later ``import openvino.tools.ovc`` by the application still works."""
    if "openvino" in sys.modules:
        return sys.modules["openvino"]
    blocked = "openvino.tools.ovc" not in sys.modules
    if blocked:
        sys.modules["openvino.tools.ovc"] = None  # type: ignore[assignment]  # makes import fail
    try:
        import openvino
    finally:
        if blocked:
            del sys.modules["openvino.tools.ovc"]
    return openvino


ov = _import_runtime()


class OpenVinoBackend:
    """An ONNX model compiled for OpenVINO's CPU plugin, in float32 or bfloat16."""

    name = "openvino"

    def __init__(
        self,
        path: Path,
        input_shapes: Sequence[tuple[int, ...]],
        batch: int,
        threads: int,
        precision: str,
    ) -> None:
        """Compile ``path`` for ``batch`` inputs of each of ``input_shapes`` (one image each).

        Compiling (a second or two per shape) goes on in the background, while the caller starts
        decoding; the first ``run`` of a shape waits for it. Raises ``ValueError`` if the CPU
        cannot compute in ``precision`` (see ``cpu_has_bf16``).
        """
        if precision == "bf16" and not cpu_has_bf16():
            raise ValueError(
                "this CPU cannot run OpenVINO in bf16 (it has no AVX512-BF16 or AMX):"
                " use precision='f32' or 'auto'"
            )
        self.precision = precision
        self.batch = batch
        core = ov.Core()
        model = core.read_model(path)
        size = model.output(0).get_partial_shape()[-1]
        self._output_size = size.get_length() if size.is_static else None
        config = {
            "INFERENCE_PRECISION_HINT": precision,
            "INFERENCE_NUM_THREADS": threads,
            "NUM_STREAMS": threads,
            "ENABLE_CPU_PINNING": False,  # other processes share the cores
        }

        def compile_for(size: int, shape: tuple[int, ...]) -> ov.CompiledModel:
            static = model.clone()
            static.reshape({0: [size, *shape]})
            return core.compile_model(static, "CPU", config)

        self._compile = compile_for
        keys = list(dict.fromkeys((batch, tuple(shape)) for shape in input_shapes))
        compiler = ThreadPoolExecutor(len(keys), thread_name_prefix="imagededup-compile")
        self._models = {key: compiler.submit(compile_for, *key) for key in keys}
        compiler.shutdown(wait=False)
        self._lock = threading.Lock()
        self._requests = threading.local()

    @property
    def output_size(self) -> int | None:
        return self._output_size

    def run(self, batch: np.ndarray) -> np.ndarray:
        """A full batch runs at once; a shorter one (the last, or ``encode_image``'s single
        image) image by image on a one-image model, rather than paying for a padded batch."""
        shape = batch.shape[1:]
        if len(batch) == self.batch:
            return self._infer(self.batch, shape, batch)
        return np.concatenate([self._infer(1, shape, image[None]) for image in batch])

    def _infer(self, size: int, shape: tuple[int, ...], batch: np.ndarray) -> np.ndarray:
        """Run this thread's request of the model compiled for ``size`` inputs of ``shape``."""
        requests = self._requests.__dict__
        if (size, shape) not in requests:
            requests[size, shape] = self._model(size, shape).create_infer_request()
        feed = np.ascontiguousarray(batch)
        return requests[size, shape].infer({0: feed}, share_inputs=True)[0]

    def _model(self, size: int, shape: tuple[int, ...]) -> ov.CompiledModel:
        """The model compiled for ``size`` inputs of ``shape``; one-image models on first use."""
        with self._lock:
            if (size, shape) not in self._models:
                if (self.batch, shape) not in self._models:
                    loaded = [key[1] for key in self._models]
                    raise ValueError(f"model compiled for inputs {loaded}, not {shape}")
                compiled: Future[ov.CompiledModel] = Future()
                compiled.set_result(self._compile(size, shape))
                self._models[size, shape] = compiled
        return self._models[size, shape].result()


def cpu_has_bf16() -> bool:
    """Whether OpenVINO can compute in bfloat16 on this CPU (AVX512-BF16 or AMX)."""
    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
