"""What every duplicate finder does the same way, written once for ``CNN`` and the hashes.

A finder turns images into encodings (CNN vectors or hash strings), searches them for pairs within
a threshold, and shapes the pairs into imagededup's results. Subclasses say how to encode a batch
of files, how to stack an encoding map, how to check a threshold and how to search; this base
owns the public calls around them: ``encode_image``, ``encode_images``, skipped files, the
duplicate map, ``find_duplicates_to_remove``, ``outfile``, and imagededup 0.3.3's keywords and
warnings.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar, cast

import numpy as np

from imagededup.features import Encoded
from imagededup.groups import check_keep_policy, files_to_remove_under
from imagededup.images.decode import DecodeError
from imagededup.images.discover import Listing, list_images
from imagededup.results import DuplicateMap, ScoredMap, duplicate_map, saved
from imagededup.search.pairs import Pairs
from imagededup.validation import (
    accept_removed,
    check_folder,
    check_one_image,
    check_one_source,
    warn,
)

PathLike = str | os.PathLike[str]
logger = logging.getLogger("imagededup")


@dataclass(frozen=True)
class Query[E]:
    """What a search looks at: a folder or an encoding map, and its threshold (``None``: the
    method's default)."""

    image_dir: PathLike | None
    encoding_map: Mapping[str, E] | None
    threshold: float | None
    recursive: bool = False
    num_enc_workers: int | None = None


class Finder[E](ABC):
    """Encodings of type ``E`` for images, and the duplicates among them.

    Subclasses set ``higher_is_closer`` (similarities) or not (distances) and implement the
    abstract methods; ``skipped`` lists the files of the last folder that could not be decoded.
    """

    higher_is_closer: ClassVar[bool]
    """True when scores are similarities (higher is closer), False for distances."""

    def __init__(self, verbose: bool = True) -> None:
        self.verbose = verbose
        self.skipped: dict[str, str] = {}
        """Files of the last ``encode_images`` call that could not be decoded, with the reason."""

    # What each method supplies.

    @abstractmethod
    def _encode_one(self, source: Path | np.ndarray) -> E:
        """The encoding of one file or checked uint8 array; raises ``DecodeError``."""

    @abstractmethod
    def _encode_listing(self, num_workers: int | None, listing: Listing) -> Encoded:
        """Codes (one row per file that decoded) of the files of ``listing``."""

    @abstractmethod
    def _encodings(self, codes: np.ndarray) -> list[E]:
        """The public encodings of stacked codes (the values of ``encode_images``)."""

    @abstractmethod
    def _stack(self, encoding_map: Mapping[str, E]) -> tuple[list[str], np.ndarray]:
        """Names and stacked codes of an encoding map."""

    @abstractmethod
    def threshold(self, value: float | None) -> float:
        """The validated threshold: ``value``, or the method's default for ``None``."""

    @abstractmethod
    def _pairs(self, codes: np.ndarray, threshold: float) -> Pairs:
        """Pairs of rows of ``codes`` within ``threshold``, with their scores."""

    @classmethod
    @abstractmethod
    def parse_threshold(cls, text: str) -> float:
        """A threshold typed by a user (command line), checked; ``ValueError`` if invalid."""

    # Written once for every method.

    def encode_image(
        self, image_file: PathLike | None = None, image_array: np.ndarray | None = None
    ) -> E | None:
        """Encoding of one image given as a file or an array, or ``None`` (with a logged warning)
        if the file cannot be decoded, as imagededup 0.3.3 did.

        Raises ``ValueError`` unless exactly one of the two is given and the file exists.
        Arrays other than uint8 are cast to uint8 as 0.3.3 did.
        """
        source = check_one_image(image_file, image_array)
        try:
            return self._encode_one(source)
        except DecodeError as exc:
            logger.warning(
                "Skipping %s: %s", "image_array" if image_file is None else image_file, exc
            )
            return None

    def encode_images(
        self, image_dir: PathLike, recursive: bool = False, num_enc_workers: int | None = None
    ) -> dict[str, E]:
        """``{relative_path: encoding}`` for every decodable image in ``image_dir``.

        Files that cannot be decoded are logged once each and listed in ``self.skipped``.
        ``num_enc_workers`` decoding threads are used (default: one per core).
        """
        names, codes = self.encode_matrix(image_dir, recursive, num_enc_workers)
        return dict(zip(names, self._encodings(codes), strict=True))

    def encode_matrix(
        self, image_dir: PathLike, recursive: bool = False, num_enc_workers: int | None = None
    ) -> tuple[list[str], np.ndarray]:
        """Like ``encode_images``, as a list of names and one stacked array of codes."""
        return self._folder(image_dir, recursive, partial(self._encode_listing, num_enc_workers))

    def _folder(
        self, image_dir: PathLike, recursive: bool, encode: Callable[[Listing], Encoded]
    ) -> tuple[list[str], np.ndarray]:
        """Names and codes of the images of a folder that ``encode`` could decode; the files it
        could not are logged and kept in ``self.skipped``."""
        listing = list_images(check_folder(image_dir), recursive=recursive)
        encoded = encode(listing)
        self.skipped = dict(listing.skipped)
        self.skipped.update({listing.names[i]: why for i, why in encoded.failures.items()})
        return [listing.names[i] for i in encoded.indices], encoded.vectors

    def matrix(
        self,
        image_dir: PathLike | None = None,
        encoding_map: Mapping[str, E] | None = None,
        recursive: bool = False,
        num_enc_workers: int | None = None,
    ) -> tuple[list[str], np.ndarray]:
        """Names and stacked codes of a folder (encoded) or of an encoding map.

        With an encoding map, ``recursive`` and ``num_enc_workers`` have no effect; 0.3.3's
        ``SyntaxWarning`` and ``RuntimeWarning`` say so.
        """
        check_one_source(image_dir, encoding_map)
        if image_dir is not None:
            return self.encode_matrix(image_dir, recursive, num_enc_workers)
        if recursive:
            warn("recursive has no effect with encoding_map", SyntaxWarning)
        if num_enc_workers is not None:
            warn("num_enc_workers has no effect with encoding_map", RuntimeWarning)
        assert encoding_map is not None
        return self._stack(encoding_map)

    def search_map(self, encoding_map: Mapping[str, E], threshold: float | None) -> ScoredMap:
        """``{name: [(duplicate, score), ...]}`` of an encoding map (the command line's scan)."""
        checked = self.threshold(threshold)
        names, codes = self._stack(encoding_map)
        pairs = self._matches(codes, checked, names, encoding_map)
        return cast(ScoredMap, duplicate_map(names, pairs, True, self.higher_is_closer))

    def _names_and_pairs(self, query: Query[E]) -> tuple[list[str], Pairs]:
        """Names of the images of ``query`` and the pairs within its threshold among them."""
        checked = self.threshold(query.threshold)  # before encoding: a bad value fails at once
        names, codes = self.matrix(
            query.image_dir, query.encoding_map, query.recursive, query.num_enc_workers
        )
        source = query.encoding_map if query.image_dir is None else query.image_dir
        assert source is not None  # matrix() checked that one of the two is given
        return names, self._matches(codes, checked, names, source)

    def _matches(
        self,
        codes: np.ndarray,
        threshold: float,
        names: Sequence[str],
        source: PathLike | Mapping[str, E],
    ) -> Pairs:
        """The pairs within ``threshold`` among ``codes``, of the files ``names`` of ``source``
        (a folder or an encoding map), for methods that check candidates against the files."""
        return self._pairs(codes, threshold) if len(codes) else Pairs.empty()

    def _find(
        self,
        query: Query[E],
        scores: bool,
        outfile: PathLike | None,
        removed: Mapping[str, object],
    ) -> DuplicateMap:
        """``find_duplicates``: the duplicate map of ``query``, saved when ``outfile``."""
        accept_removed(removed, "find_duplicates")
        names, pairs = self._names_and_pairs(query)
        return saved(duplicate_map(names, pairs, scores, self.higher_is_closer), outfile)

    def _to_remove(
        self, query: Query[E], keep: str, outfile: PathLike | None, removed: Mapping[str, object]
    ) -> list[str]:
        """``find_duplicates_to_remove``: every file of each group of ``query`` but the one
        ``keep`` picks (files are read under its ``image_dir`` when a policy needs them)."""
        accept_removed(removed, "find_duplicates_to_remove")
        check_keep_policy(keep)
        names, pairs = self._names_and_pairs(query)
        return saved(files_to_remove_under(query.image_dir, names, pairs, keep), outfile)
