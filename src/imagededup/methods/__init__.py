"""The public duplicate finders."""

from imagededup.methods.cnn import CNN

__all__ = ["CNN"]
