"""Lazy re-exports for package ``__init__`` modules (PEP 562).

``from imagededup.methods import PHash`` must not load onnxruntime, and ``import
imagededup.search.pairs`` must not load FAISS: a package names what it re-exports and where it
lives, and each name's module is imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``where[name]`` (a submodule) on first use."""

    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(where[name]), name)

    return __getattr__
