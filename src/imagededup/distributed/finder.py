"""The command line's ``find --ray``: encode a folder on Ray, for ``CNN`` to search."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from imagededup.distributed import shards
from imagededup.distributed.encode import encode_dataset
from imagededup.methods.cnn import CNN


class RayEncoder:
    """``encode_images`` with ``cnn``'s model on Ray, into Parquet shards in ``output_dir``."""

    def __init__(self, cnn: CNN, output_dir: str | os.PathLike[str], address: str | None) -> None:
        self.cnn = cnn
        self.output_dir = Path(output_dir)
        self.address = address
        self.skipped: dict[str, str] = {}

    def encode_images(self, image_dir: Path, recursive: bool = True) -> dict[str, np.ndarray]:
        """``{relative path: vector}`` of ``image_dir``'s images, encoded (or reused) on Ray."""
        root = Path(os.path.abspath(image_dir))
        done = encode_dataset(
            root,
            self.output_dir,
            model=self.cnn.encoder.spec,
            address=self.address,
            recursive=recursive,
            progress=self.cnn.verbose,
        )
        self.skipped = {_relative(path, root): why for path, why in done.skipped.items()}
        wanted = set(done.files)
        paths, vectors = shards.read_embeddings(self.output_dir)
        return {
            _relative(path, root): vector
            for path, vector in zip(paths, vectors, strict=True)
            if path in wanted
        }


def _relative(path: str, root: Path) -> str:
    return Path(path).relative_to(root).as_posix()
