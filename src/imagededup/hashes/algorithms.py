"""The hash functions: one decoded image -> a small grey array -> bits, vectorised over batches.

Every hash has two steps. ``reduce`` turns one decoded RGB image into the small grey array that the
hash looks at; it runs in the decoding threads. ``bits`` turns a stack of those arrays into hash
bits with NumPy, once per batch. aHash, dHash, pHash and wHash give imagededup 0.3.3's hashes bit
for bit for the same RGB pixels: Lanczos resize of the RGB image, then Pillow's grey conversion,
then the same transform, threshold rule and bit order (row by row, first bit most significant).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from PIL import Image


class HashAlgorithm(ABC):
    """A perceptual hash of ``bits`` bits computed from a ``shape`` (rows, cols) grey array."""

    name: str
    bits: int
    shape: tuple[int, int]

    @abstractmethod
    def reduce(self, image: Image.Image, shape: tuple[int, int]) -> np.ndarray:
        """The ``shape`` grey array that ``bits`` reads, from one RGB image."""

    @abstractmethod
    def bits_of(self, reduced: np.ndarray) -> np.ndarray:
        """``N x bits`` booleans from ``N x rows x cols`` reduced arrays, in hex-string order."""

    def pack(self, reduced: np.ndarray) -> np.ndarray:
        """``N x bits/8`` uint8 codes (the bytes of the hex strings) of stacked reduced arrays."""
        return np.packbits(self.bits_of(reduced), axis=1)


class _ResizedGrey(HashAlgorithm):
    """Hashes of imagededup 0.3.3: Lanczos-resize the RGB image, then convert it to grey."""

    def reduce(self, image: Image.Image, shape: tuple[int, int]) -> np.ndarray:
        rows, cols = shape
        small = image.resize((cols, rows), Image.Resampling.LANCZOS)
        return np.asarray(small.convert("L"), dtype=np.uint8)


class AverageHash(_ResizedGrey):
    """aHash: which of the 8x8 pixels are at least their mean."""

    name, bits, shape = "ahash", 64, (8, 8)

    def bits_of(self, reduced: np.ndarray) -> np.ndarray:
        flat = reduced.reshape(len(reduced), -1)
        return flat >= flat.mean(axis=1, keepdims=True)


class DifferenceHash(_ResizedGrey):
    """dHash: which pixels of an 8x9 image are brighter than their left neighbour."""

    name, bits, shape = "dhash", 64, (8, 9)

    def bits_of(self, reduced: np.ndarray) -> np.ndarray:
        return (reduced[:, :, 1:] > reduced[:, :, :-1]).reshape(len(reduced), -1)


class PerceptualHash(_ResizedGrey):
    """pHash: the 8x8 lowest DCT-II frequencies of a 32x32 image, against their median.

    The median leaves out the DC term; a coefficient equal to it counts as 1. The DCT is two matrix
    products (scipy.fftpack's unnormalised DCT-II), rounded to 1e-6 so that coefficients equal in
    exact arithmetic (flat or symmetric images) compare equal whatever the floating-point noise.
    """

    name, bits, shape = "phash", 64, (32, 32)
    _dct = 2 * np.cos(np.pi * np.arange(8)[:, None] * (2 * np.arange(32) + 1) / 64)

    def bits_of(self, reduced: np.ndarray) -> np.ndarray:
        coefficients = self._dct @ reduced.astype(np.float64) @ self._dct.T
        flat = np.round(coefficients.reshape(len(reduced), -1), 6)
        return flat >= np.median(flat[:, 1:], axis=1, keepdims=True)


class WaveletHash(_ResizedGrey):
    """wHash: the 8x8 approximation of a 256x256 image after 5 Haar levels, against its median.

    The Haar steps repeat PyWavelets' arithmetic (rows, then columns, ``c*a + c*b``) so the
    floating-point results, and therefore ties with the median, are the same as imagededup's.
    """

    name, bits, shape = "whash", 64, (256, 256)
    _levels = 5
    _c = 0.7071067811865476  # PyWavelets' Haar low-pass coefficient, 1/sqrt(2) rounded

    def bits_of(self, reduced: np.ndarray) -> np.ndarray:
        approx = reduced / 255
        for _ in range(self._levels):
            approx = self._c * approx[:, 0::2, :] + self._c * approx[:, 1::2, :]
            approx = self._c * approx[:, :, 0::2] + self._c * approx[:, :, 1::2]
        flat = approx.reshape(len(reduced), -1)
        return flat >= np.median(flat, axis=1, keepdims=True)
