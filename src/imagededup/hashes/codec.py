"""Hashes as users see them (hex strings, as imagededup wrote them) and as the search sees them.

The search works on packed bits: one row of ``bits / 8`` uint8 per hash, the bytes of the hex
string in order, which is what FAISS binary indexes take.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

import numpy as np

_HEX_DIGITS = frozenset(string.hexdigits)


def to_hex(codes: np.ndarray) -> list[str]:
    """Hex strings (lower case, two digits per byte) of ``N x bytes`` uint8 codes."""
    return [row.tobytes().hex() for row in np.ascontiguousarray(codes, dtype=np.uint8)]


def _check_hex(value: object, bits: int, name: str) -> str:
    """``value`` if it is a hex string of ``bits / 4`` digits, else a ``ValueError`` saying so."""
    digits = bits // 4
    if not isinstance(value, str) or len(value) != digits or not _HEX_DIGITS.issuperset(value):
        raise ValueError(
            f"expected a {bits}-bit hash of {digits} hex digits for {name!r}, got {value!r}"
        )
    return value


def stack_hash_map(encoding_map: Mapping[str, str], bits: int) -> tuple[list[str], np.ndarray]:
    """Names and ``N x bits/8`` codes of ``{name: hex hash}`` (as returned or loaded from JSON)."""
    if not isinstance(encoding_map, Mapping):
        raise TypeError(
            f"encoding_map must be a dict of name -> hex hash, got {type(encoding_map)}"
        )
    names = list(encoding_map)
    packed = bytes.fromhex("".join(_check_hex(encoding_map[name], bits, name) for name in names))
    return names, np.frombuffer(packed, dtype=np.uint8).reshape(len(names), bits // 8).copy()


def hamming_distance(hash1: str, hash2: str) -> int:
    """Number of differing bits between two hex hashes of the same length."""
    for value in (hash1, hash2):
        if not isinstance(value, str) or not value or not _HEX_DIGITS.issuperset(value):
            raise ValueError(f"expected a hash as a string of hex digits, got {value!r}")
    if len(hash1) != len(hash2):
        raise ValueError(f"hashes differ in length: {hash1!r} and {hash2!r}")
    return (int(hash1, 16) ^ int(hash2, 16)).bit_count()
