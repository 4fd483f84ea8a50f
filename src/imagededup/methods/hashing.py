"""Hash methods: find duplicates by the Hamming distance between perceptual hashes.

PHash, DHash, AHash and WHash are imagededup 0.3.3's 64-bit hashes: the same hex strings for the
same files, decoded as 0.3.3 decoded them (see ``hashes.decode``); PDQHash is Meta's 256-bit PDQ.
Each hash is a small subclass that names its algorithm and default threshold; ``Finder`` does
the rest (files -> pixels -> hashes -> Hamming search -> pairs -> duplicate map).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np

from imagededup.features import Encoded
from imagededup.hashes.algorithms import (
    AverageHash,
    DifferenceHash,
    HashAlgorithm,
    PerceptualHash,
    WaveletHash,
)
from imagededup.hashes.codec import hamming_distance, stack_hash_map, to_hex
from imagededup.hashes.encode import DIHEDRAL, hash_files, hash_image
from imagededup.hashes.pdq import PDQ
from imagededup.images.discover import Listing
from imagededup.methods.base import Finder, PathLike, Query
from imagededup.results import DuplicateMap
from imagededup.search.hamming import closest_per_pair, cross_hamming_pairs, hamming_pairs
from imagededup.search.pairs import Pairs
from imagededup.validation import check_distance_threshold, check_positive_int


@dataclass(frozen=True)
class HashQuery(Query[str]):
    """A hash search; with ``dihedral``, flipped and quarter-turned copies match too."""

    dihedral: bool = False


class Hashing(Finder[str]):
    """Find duplicates with a perceptual hash, or compute the hashes of one image or a folder.

    Two images are duplicates when their hashes differ in at most ``max_distance_threshold``
    bits. Hashes are hex strings, so an encoding map survives a round trip through JSON.

    Example:
        >>> from imagededup.methods import PHash
        >>> duplicates = PHash().find_duplicates(image_dir="path/to/images", scores=True)
    """

    algorithm: ClassVar[HashAlgorithm]
    default_threshold: ClassVar[int] = 10
    """``max_distance_threshold`` used when none is given."""
    higher_is_closer = False

    def __init__(
        self, verbose: bool = True, draft_size: int | None = None, upright: bool = False
    ) -> None:
        """``verbose`` shows progress bars. By default files are decoded as imagededup 0.3.3
        did, so hashes equal its hashes. ``draft_size`` decodes JPEGs at reduced scale while both
        sides stay at least ``2 * draft_size`` (faster on large photos; a few bits change);
        ``upright`` hashes images as the CNN sees them: EXIF orientation applied, transparency
        on white, 16-bit images scaled (rotated photos then match their upright copies)."""
        super().__init__(verbose)
        check_positive_int("draft_size", draft_size, allow_none=True)
        self.draft_size = draft_size
        self.upright = upright

    @property
    def bits(self) -> int:
        """Length of the hash in bits: the largest possible distance."""
        return self.algorithm.bits

    @staticmethod
    def hamming_distance(hash1: str, hash2: str) -> int:
        """Number of bits that differ between two hex hashes of the same length."""
        return hamming_distance(hash1, hash2)

    def find_duplicates(
        self,
        image_dir: PathLike | None = None,
        encoding_map: Mapping[str, str] | None = None,
        max_distance_threshold: int | None = None,
        scores: bool = False,
        outfile: PathLike | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
        dihedral: bool = False,
        **removed: object,
    ) -> DuplicateMap:
        """Duplicates of every file: ``{file: [dup, ...]}``, or ``{file: [(dup, distance), ...]}``.

        Pass a folder (``image_dir``) or hashes (``encoding_map``, e.g. loaded from JSON). Two
        files are duplicates when their hashes differ in at most ``max_distance_threshold`` bits
        (default ``default_threshold``; 0 to ``bits``). Every file is a key; the relation is
        symmetric; lists are sorted by ascending distance, then name. With ``dihedral`` (needs
        ``image_dir``), flipped and quarter-turned copies match too: each image is also searched
        with the hashes of its 7 flips and rotations (8 times the search work; the distance is
        that of the closest version). ``outfile`` also writes the result as JSON. 0.3.3's
        ``search_method`` and ``num_dist_workers`` are accepted and ignored.
        """
        query = HashQuery(
            image_dir, encoding_map, max_distance_threshold, recursive, num_enc_workers, dihedral
        )
        return self._find(query, scores, outfile, removed)

    def find_duplicates_to_remove(
        self,
        image_dir: PathLike | None = None,
        encoding_map: Mapping[str, str] | None = None,
        max_distance_threshold: int | None = None,
        outfile: PathLike | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
        dihedral: bool = False,
        keep: str = "first",
        **removed: object,
    ) -> list[str]:
        """Files to remove so that exactly one file of every duplicate group is left.

        Groups are connected components of the duplicate pairs (as in ``find_duplicates``);
        ``keep`` picks the file kept, as in ``CNN.find_duplicates_to_remove`` (default: the
        first of its group in input order). Nothing is deleted.
        """
        query = HashQuery(
            image_dir, encoding_map, max_distance_threshold, recursive, num_enc_workers, dihedral
        )
        return self._to_remove(query, keep, outfile, removed)

    def threshold(self, value: float | None) -> int:
        return check_distance_threshold(
            self.default_threshold if value is None else value, self.bits
        )

    @classmethod
    def parse_threshold(cls, text: str) -> int:
        return check_distance_threshold(int(text), cls.algorithm.bits)

    def _encode_one(self, source: Path | np.ndarray) -> str:
        return to_hex(hash_image(self.algorithm, source, self.draft_size, self.upright)[None])[0]

    def _encode_listing(self, num_workers: int | None, listing: Listing) -> Encoded:
        return self._hash_listing(num_workers, False, listing)

    def _hash_listing(self, num_workers: int | None, dihedral: bool, listing: Listing) -> Encoded:
        encoded = hash_files(
            self.algorithm,
            listing.paths,
            self.draft_size,
            self.upright,
            dihedral=dihedral,
            num_workers=num_workers,
            progress=self.verbose,
        )
        if not encoded.indices:
            shape = (0, *([DIHEDRAL] if dihedral else []), self.bits // 8)
            encoded.vectors = np.empty(shape, np.uint8)
        return encoded

    def _encodings(self, codes: np.ndarray) -> list[str]:
        return to_hex(codes)

    def _stack(self, encoding_map: Mapping[str, str]) -> tuple[list[str], np.ndarray]:
        return stack_hash_map(encoding_map, self.bits)

    def _pairs(self, codes: np.ndarray, threshold: float) -> Pairs:
        return hamming_pairs(codes, int(threshold))

    def _names_and_pairs(self, query: Query[str]) -> tuple[list[str], Pairs]:
        if not (isinstance(query, HashQuery) and query.dihedral):
            return super()._names_and_pairs(query)
        if query.image_dir is None:
            raise ValueError(
                "dihedral=True needs image_dir: flipped and rotated versions are hashed from"
                " the pixels, which an encoding_map does not have"
            )
        checked = self.threshold(query.threshold)
        encode = partial(self._hash_listing, query.num_enc_workers, True)
        names, codes = self._folder(query.image_dir, query.recursive, encode)
        versions = codes.reshape(-1, codes.shape[-1])
        found = cross_hamming_pairs(versions, codes[:, 0], checked)
        return names, closest_per_pair(found, DIHEDRAL)


class PHash(Hashing):
    """Perceptual hash (DCT of a 32x32 grey image), as in imagededup 0.3.3; 64 bits."""

    algorithm = PerceptualHash()


class DHash(Hashing):
    """Difference hash (brighter than the left neighbour, 8x9), as in imagededup 0.3.3; 64 bits."""

    algorithm = DifferenceHash()


class AHash(Hashing):
    """Average hash (at least the mean of 8x8 pixels), as in imagededup 0.3.3; 64 bits."""

    algorithm = AverageHash()


class WHash(Hashing):
    """Wavelet hash (Haar approximation of a 256x256 image), as in imagededup 0.3.3; 64 bits."""

    algorithm = WaveletHash()


class PDQHash(Hashing):
    """Meta's PDQ hash: 256 bits, distances 0 to 256; Meta's suggested match threshold is 31."""

    algorithm = PDQ()
    default_threshold = 31
