"""Perceptual hashes: the algorithms, their hex form, and hashing many files in batches."""

from imagededup.hashes.algorithms import (
    AverageHash,
    DifferenceHash,
    HashAlgorithm,
    PerceptualHash,
    WaveletHash,
)
from imagededup.hashes.codec import hamming_distance, stack_hash_map, to_hex
from imagededup.hashes.encode import hash_files, hash_image
from imagededup.hashes.pdq import PDQ

__all__ = [
    "PDQ",
    "AverageHash",
    "DifferenceHash",
    "HashAlgorithm",
    "PerceptualHash",
    "WaveletHash",
    "hamming_distance",
    "hash_files",
    "hash_image",
    "stack_hash_map",
    "to_hex",
]
