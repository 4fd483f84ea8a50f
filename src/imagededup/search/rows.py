"""One view of a matrix of side-by-side view vectors, normalised a block of rows at a time.

An image's vector holds its own embedding and its rotated views' side by side (see
``OnnxEncoder.encode``). Searches read one view at a time through ``ViewRows``, which slices and
normalises only the rows asked for, so no full-size copy of the vectors is ever made.
"""

from __future__ import annotations

import numpy as np

from imagededup.vectors import normalize


class ViewRows:
    """Unit-length rows of view ``view`` (0: the image itself) of ``vectors``, on demand."""

    def __init__(self, vectors: np.ndarray, view_count: int = 1, view: int = 0) -> None:
        if vectors.ndim != 2 or vectors.shape[1] % view_count:
            raise ValueError(f"cannot split {vectors.shape} vectors into {view_count} views")
        self.vectors = vectors
        self.dim = vectors.shape[1] // view_count
        self.columns = slice(view * self.dim, (view + 1) * self.dim)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.vectors), self.dim

    def __len__(self) -> int:
        return len(self.vectors)

    def __getitem__(self, rows: slice | np.ndarray) -> np.ndarray:
        """The selected rows of this view as a new contiguous float32 array of unit rows."""
        return normalize(np.array(self.vectors[rows, self.columns], np.float32), in_place=True)


def float_rows(base: np.ndarray | ViewRows, rows: slice | np.ndarray) -> np.ndarray:
    """``base[rows]`` as one contiguous float32 array, the form FAISS and BLAS take."""
    return np.ascontiguousarray(base[rows], dtype=np.float32)


def views_of(vectors: np.ndarray, view_count: int = 1) -> list[ViewRows]:
    """Every view of ``vectors``: the images' own first, then each rotated view."""
    return [ViewRows(vectors, view_count, view) for view in range(view_count)]


Rows = np.ndarray | ViewRows
"""Unit rows for a search: an array, or an array's views read one at a time."""
