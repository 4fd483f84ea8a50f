"""Hash methods: find duplicates by the Hamming distance between perceptual hashes.

PHash, DHash, AHash and WHash are imagededup 0.3.3's 64-bit hashes (the same hex strings for the
same pixels); PDQHash is Meta's 256-bit PDQ. One base class wires the stages (files -> decoded
pixels -> hashes -> Hamming search -> pairs -> duplicate map); each hash is a small subclass that
names its algorithm and default threshold.
"""

from __future__ import annotations

import os
from typing import ClassVar

import numpy as np

from imagededup.groups import check_keep_policy, files_to_remove_under
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
from imagededup.images.decode import DecodeError
from imagededup.images.discover import list_images
from imagededup.results import DuplicateMap, duplicate_map, saved
from imagededup.search.hamming import closest_per_pair, cross_hamming_pairs, hamming_pairs
from imagededup.search.pairs import Pairs
from imagededup.validation import check_distance_threshold, check_one_image, check_one_source

PathLike = str | os.PathLike[str]

DRAFT_SIZE = 256
"""JPEGs are decoded at 1/2, 1/4 or 1/8 scale while they stay at least twice this size (512 px) on
both sides, so files under 1024 px hash exactly as in imagededup 0.3.3 and photos decode faster."""


class Hashing:
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

    def __init__(self, verbose: bool = True, draft_size: int | None = DRAFT_SIZE) -> None:
        """``verbose`` shows progress bars. JPEGs are decoded at reduced scale while both sides
        stay at least ``2 * draft_size``; ``None`` decodes every file at full size."""
        if draft_size is not None and (
            isinstance(draft_size, bool) or not isinstance(draft_size, int) or draft_size < 1
        ):
            raise ValueError(f"draft_size must be a positive integer or None, got {draft_size!r}")
        self.verbose = verbose
        self.draft_size = draft_size
        self.skipped: dict[str, str] = {}
        """Files of the last ``encode_images`` call that could not be decoded, with the reason."""

    @property
    def bits(self) -> int:
        """Length of the hash in bits: the largest possible distance."""
        return self.algorithm.bits

    @staticmethod
    def hamming_distance(hash1: str, hash2: str) -> int:
        """Number of bits that differ between two hex hashes of the same length."""
        return hamming_distance(hash1, hash2)

    def encode_image(
        self, image_file: PathLike | None = None, image_array: np.ndarray | None = None
    ) -> str:
        """Hash (hex string) of one image given as a file or a uint8 array.

        Raises ``ValueError`` unless exactly one of the two is given, or if it cannot be decoded.
        """
        source = check_one_image(image_file, image_array)
        try:
            code = hash_image(self.algorithm, source, self.draft_size)
        except DecodeError as exc:
            raise ValueError(f"cannot encode {image_file}: {exc}") from exc
        return to_hex(code[None])[0]

    def encode_images(
        self, image_dir: PathLike, recursive: bool = False, num_enc_workers: int | None = None
    ) -> dict[str, str]:
        """``{relative_path: hash}`` for every decodable image in ``image_dir``.

        Files that cannot be decoded are logged once each and listed in ``self.skipped``.
        ``num_enc_workers`` decoding threads are used (default: one per core).
        """
        names, codes = self._hash_folder(image_dir, recursive, num_enc_workers, dihedral=False)
        return dict(zip(names, to_hex(codes), strict=True))

    def find_duplicates(
        self,
        image_dir: PathLike | None = None,
        encoding_map: dict[str, str] | None = None,
        max_distance_threshold: int | None = None,
        scores: bool = False,
        outfile: PathLike | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
        dihedral: bool = False,
    ) -> DuplicateMap:
        """Duplicates of every file: ``{file: [dup, ...]}``, or ``{file: [(dup, distance), ...]}``.

        Pass a folder (``image_dir``) or hashes (``encoding_map``, e.g. loaded from JSON). Two
        files are duplicates when their hashes differ in at most ``max_distance_threshold`` bits
        (default ``default_threshold``; 0 to ``bits``). Every file is a key; the relation is
        symmetric; lists are sorted by ascending distance, then name. With ``dihedral`` (needs
        ``image_dir``), flipped and quarter-turned copies match too: each image is also searched
        with the hashes of its 7 flips and rotations (8 times the search work; the distance is
        that of the closest version). ``outfile`` also writes the result as JSON.
        """
        names, pairs = self._search(
            image_dir, encoding_map, max_distance_threshold, recursive, num_enc_workers, dihedral
        )
        return saved(duplicate_map(names, pairs, scores=scores, higher_is_closer=False), outfile)

    def find_duplicates_to_remove(
        self,
        image_dir: PathLike | None = None,
        encoding_map: dict[str, str] | None = None,
        max_distance_threshold: int | None = None,
        outfile: PathLike | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
        dihedral: bool = False,
        keep: str = "first",
    ) -> list[str]:
        """Files to remove so that exactly one file of every duplicate group is left.

        Groups are connected components of the duplicate pairs (as in ``find_duplicates``);
        ``keep`` picks the file kept, as in ``CNN.find_duplicates_to_remove`` (default: the
        first of its group in input order). Nothing is deleted.
        """
        check_keep_policy(keep)
        names, pairs = self._search(
            image_dir, encoding_map, max_distance_threshold, recursive, num_enc_workers, dihedral
        )
        return saved(files_to_remove_under(image_dir, names, pairs, keep), outfile)

    def _hash_folder(
        self, image_dir: PathLike, recursive: bool, num_workers: int | None, dihedral: bool
    ) -> tuple[list[str], np.ndarray]:
        listing = list_images(image_dir, recursive=recursive)
        encoded = hash_files(
            self.algorithm,
            listing.paths,
            self.draft_size,
            dihedral=dihedral,
            num_workers=num_workers,
            progress=self.verbose,
        )
        self.skipped = dict(listing.skipped)
        self.skipped.update({listing.names[i]: why for i, why in encoded.failures.items()})
        shape = (len(encoded.indices), *([DIHEDRAL] if dihedral else []), self.bits // 8)
        codes = encoded.vectors if encoded.indices else np.empty(shape, np.uint8)
        return [listing.names[i] for i in encoded.indices], codes

    def _search(
        self,
        image_dir: PathLike | None,
        encoding_map: dict[str, str] | None,
        max_distance_threshold: int | None,
        recursive: bool,
        num_enc_workers: int | None,
        dihedral: bool,
    ) -> tuple[list[str], Pairs]:
        check_one_source(image_dir, encoding_map)
        threshold = check_distance_threshold(
            self.default_threshold if max_distance_threshold is None else max_distance_threshold,
            self.bits,
        )
        if dihedral and image_dir is None:
            raise ValueError(
                "dihedral=True needs image_dir: flipped and rotated versions are hashed from"
                " the pixels, which an encoding_map does not have"
            )
        if image_dir is None:
            names, codes = stack_hash_map(encoding_map, self.bits)
            return names, hamming_pairs(codes, threshold)
        names, codes = self._hash_folder(image_dir, recursive, num_enc_workers, dihedral)
        if not dihedral:
            return names, hamming_pairs(codes, threshold)
        versions = codes.reshape(-1, codes.shape[-1])
        found = cross_hamming_pairs(versions, codes[:, 0], threshold)
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
