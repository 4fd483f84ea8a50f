"""The public duplicate finders (imported on first use: the hashes never load a CNN runtime)."""

from typing import TYPE_CHECKING

from imagededup._lazy import lazy_exports

if TYPE_CHECKING:
    from imagededup.methods.cnn import CNN
    from imagededup.methods.hashing import AHash, DHash, Hashing, PDQHash, PHash, WHash

__all__ = ["CNN", "AHash", "DHash", "Hashing", "PDQHash", "PHash", "WHash"]
__getattr__ = lazy_exports(
    __name__,
    {
        "AHash": "imagededup.methods.hashing",
        "CNN": "imagededup.methods.cnn",
        "DHash": "imagededup.methods.hashing",
        "Hashing": "imagededup.methods.hashing",
        "PDQHash": "imagededup.methods.hashing",
        "PHash": "imagededup.methods.hashing",
        "WHash": "imagededup.methods.hashing",
    },
)
