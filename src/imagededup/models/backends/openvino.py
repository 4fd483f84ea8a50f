"""OpenVINO backend: the CPU default, about 1.4x onnxruntime's speed on the same ONNX file.

The ONNX file is read as it is (nothing converted or cached on disk) and compiled once per
input shape for a fixed batch size: static shapes run 10-20% faster than dynamic ones, and a
short last batch is padded. Each calling thread gets its own inference request, and the model
has one single-threaded stream per thread, so that threads never wait for each other.

``import openvino`` also imports its model-conversion tools, which we do not use: they take
0.7 s to import, write a client id under ``~/intel`` and send a usage event to Google Analytics
(``openvino-telemetry``, on unless opted out). The runtime is imported without them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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

        Raises ``ValueError`` if the CPU cannot compute in ``precision`` (see ``cpu_has_bf16``).
        """
        core = ov.Core()
        config = {
            "INFERENCE_PRECISION_HINT": precision,
            "INFERENCE_NUM_THREADS": threads,
            "NUM_STREAMS": threads,
            "ENABLE_CPU_PINNING": False,  # other processes share the cores
        }

        def compile_for(shape: tuple[int, ...]) -> ov.CompiledModel:
            model = core.read_model(path)
            model.reshape({0: [batch, *shape]})
            return core.compile_model(model, "CPU", config)

        shapes = list(dict.fromkeys(tuple(shape) for shape in input_shapes))
        with ThreadPoolExecutor(len(shapes)) as pool:  # compiling releases the GIL
            self.models = dict(zip(shapes, pool.map(compile_for, shapes), strict=True))
        first = next(iter(self.models.values()))
        self.precision = first.get_property("INFERENCE_PRECISION_HINT").to_string()
        if self.precision != precision:
            raise ValueError(
                f"this CPU cannot run OpenVINO in {precision} (it has no AVX512-BF16 or AMX):"
                " use precision='f32' or 'auto'"
            )
        self.batch = batch
        self._requests = threading.local()
        size = first.output(0).get_partial_shape()[-1]
        self._output_size = size.get_length() if size.is_static else None

    @property
    def output_size(self) -> int | None:
        return self._output_size

    def run(self, batch: np.ndarray) -> np.ndarray:
        count = len(batch)
        feed = np.ascontiguousarray(batch)
        if count < self.batch:
            feed = np.concatenate(
                [feed, np.zeros((self.batch - count, *batch.shape[1:]), feed.dtype)]
            )
        output = self._request(batch.shape[1:]).infer({0: feed}, share_inputs=True)[0]
        return output[:count]

    def _request(self, shape: tuple[int, ...]) -> ov.InferRequest:
        """This thread's inference request for inputs of ``shape``."""
        requests = self._requests.__dict__
        if shape not in requests:
            if shape not in self.models:
                raise ValueError(
                    f"this model was compiled for inputs {list(self.models)}, not {shape}"
                )
            requests[shape] = self.models[shape].create_infer_request()
        return requests[shape]


def cpu_has_bf16() -> bool:
    """Whether OpenVINO can compute in bfloat16 on this CPU (AVX512-BF16 or AMX)."""
    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
