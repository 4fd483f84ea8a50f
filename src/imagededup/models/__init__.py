"""Embedding models behind one interface: ``name``, ``input_size``, ``encode(pixels)``."""

from imagededup.models.onnx import OnnxEncoder, OnnxModelSpec
from imagededup.models.registry import BUILTIN_MODELS, DEFAULT_MODEL, load_encoder, model_spec

__all__ = [
    "BUILTIN_MODELS",
    "DEFAULT_MODEL",
    "OnnxEncoder",
    "OnnxModelSpec",
    "load_encoder",
    "model_spec",
]
