"""The public duplicate finders."""

from imagededup.methods.cnn import CNN
from imagededup.methods.hashing import AHash, DHash, Hashing, PDQHash, PHash, WHash

__all__ = ["CNN", "AHash", "DHash", "Hashing", "PDQHash", "PHash", "WHash"]
