"""Embedding vectors as every stage stores them: NumPy only, so search, cache and validation
need neither onnxruntime nor FAISS to agree on the format."""

from __future__ import annotations

import numpy as np

EMBEDDING_DTYPE = np.float16
"""Embeddings are kept as float16: half the memory and cache; similarities move by < 1e-4."""


def normalize(vectors: np.ndarray, in_place: bool = False) -> np.ndarray:
    """Rows scaled to unit L2 length (zero rows stay zero), as float32.

    ``in_place`` scales a float32 array itself instead of returning a scaled copy.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    if in_place:
        vectors /= norms
        return vectors
    return vectors / norms
