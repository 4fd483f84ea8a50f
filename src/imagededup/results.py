"""Duplicate maps in imagededup's format, and saving them as JSON."""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imagededup.jsonfile import read_json
from imagededup.search.pairs import Pairs

ScoredMap = dict[str, list[tuple[str, float]]]
DuplicateMap = dict[str, list[str]] | ScoredMap


def duplicate_map(
    names: Sequence[str], pairs: Pairs, scores: bool = False, higher_is_closer: bool = True
) -> DuplicateMap:
    """``{name: [duplicate, ...]}`` for every name of a self-search, symmetric, closest first.

    Scores are similarities (``higher_is_closer``) or distances. With ``scores``, each duplicate
    is a ``(name, score)`` tuple with a plain Python score (float, or int for Hamming distances).
    """
    index = np.int32 if len(names) < 2**31 else np.int64  # halves the memory of big results
    both_ways = Pairs(
        np.concatenate([pairs.first, pairs.second], dtype=index, casting="same_kind"),
        np.concatenate([pairs.second, pairs.first], dtype=index, casting="same_kind"),
        np.concatenate([pairs.scores, pairs.scores]),
    )
    return match_map(names, names, both_ways, scores, higher_is_closer)


def match_map(
    queries: Sequence[str],
    base: Sequence[str],
    pairs: Pairs,
    scores: bool = False,
    higher_is_closer: bool = True,
) -> DuplicateMap:
    """``{query: [base match, ...]}`` for every query, closest first, then by name.

    Pairs are grouped by query with NumPy and each query's few matches are ordered on their own,
    so no per-pair Python object exists beyond the result itself.
    """
    order = np.argsort(pairs.first, kind="stable")
    second, values = pairs.second[order], pairs.scores[order]
    del order
    counts = np.bincount(pairs.first, minlength=len(queries))
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    matches: dict = {}
    for q, name in enumerate(queries):
        found = second[bounds[q] : bounds[q + 1]].tolist()
        found_scores = values[bounds[q] : bounds[q + 1]].tolist()
        ranked = sorted(
            zip(found_scores, (base[b] for b in found), strict=True),
            key=lambda item: (-item[0] if higher_is_closer else item[0], item[1]),
        )
        matches[name] = (
            [(other, score) for score, other in ranked] if scores else [o for _, o in ranked]
        )
    return matches


def save_json(results: object, outfile: str | os.PathLike[str]) -> Path:
    """Write ``results`` as JSON as imagededup 0.3.3 did: tuples become lists, keys sorted."""
    path = Path(outfile)
    with path.open("w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2, ensure_ascii=True, sort_keys=True)
    return path


def saved[T](result: T, outfile: str | os.PathLike[str] | None) -> T:
    """``result``, after writing it to ``outfile`` as JSON when one is given (any falsy
    ``outfile``, such as ``None``, ``False`` or ``""``, writes nothing, as in imagededup 0.3.3)."""
    if outfile:
        save_json(result, outfile)
    return result


def load_duplicate_map(infile: str | os.PathLike[str]) -> dict[str, list]:
    """Read a duplicate map written by ``save_json`` (with or without scores).

    Raises ``ValueError`` naming the file when it is not such a map, e.g. the list written by
    ``find_duplicates_to_remove``.
    """
    path = Path(infile)
    data = read_json(path, "a duplicate map")
    if not isinstance(data, dict) or not all(
        isinstance(found, list) and all(map(_is_duplicate, found)) for found in data.values()
    ):
        raise ValueError(f"{path} is not a duplicate map {{file: [duplicate, ...]}}")
    return data


def _is_duplicate(item: object) -> bool:
    """``"name"`` or ``["name", score]``, as ``save_json`` writes them."""
    return isinstance(item, str) or (
        isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], int | float)
        and not isinstance(item[1], bool)
    )


def best_scores(
    duplicates: dict[str, list[tuple[str, float]]], higher_is_closer: bool = True
) -> dict[str, float]:
    """Each file's closest match score: the highest similarity, or the lowest distance."""
    pick = max if higher_is_closer else min
    return {name: pick(s for _, s in found) for name, found in duplicates.items() if found}


def format_score(score: float) -> str:
    """Integer distances as they are, similarities to three decimals."""
    return str(score) if isinstance(score, numbers.Integral) else f"{score:.3f}"
