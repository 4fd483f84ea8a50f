"""Duplicate maps in imagededup's format, and saving them as JSON."""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imagededup.search.pairs import Pairs

DuplicateMap = dict[str, list[str]] | dict[str, list[tuple[str, float]]]


def duplicate_map(
    names: Sequence[str], pairs: Pairs, scores: bool = False, higher_is_closer: bool = True
) -> DuplicateMap:
    """``{name: [duplicate, ...]}`` for every name of a self-search, symmetric, closest first.

    Scores are similarities (``higher_is_closer``) or distances. With ``scores``, each duplicate
    is a ``(name, score)`` tuple with a plain Python score (float, or int for Hamming distances).
    """
    both_ways = Pairs(
        np.concatenate([pairs.first, pairs.second]),
        np.concatenate([pairs.second, pairs.first]),
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
    """``{query: [base match, ...]}`` for every query, closest first, then by name."""
    matches: dict[str, list[tuple[str, float]]] = {name: [] for name in queries}
    for q, b, s in zip(
        pairs.first.tolist(), pairs.second.tolist(), pairs.scores.tolist(), strict=True
    ):
        matches[queries[q]].append((base[b], s))
    for found in matches.values():
        found.sort(key=lambda item: (-item[1] if higher_is_closer else item[1], item[0]))
    if scores:
        return matches
    return {name: [other for other, _ in found] for name, found in matches.items()}


def save_json(results: object, outfile: str | os.PathLike[str]) -> Path:
    """Write ``results`` as JSON (tuples become lists, as imagededup always wrote them)."""
    path = Path(outfile)
    with path.open("w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2, ensure_ascii=True)
    return path


def load_duplicate_map(infile: str | os.PathLike[str]) -> dict[str, list]:
    """Read a duplicate map written by ``save_json`` (with or without scores).

    Raises ``ValueError`` naming the file when it is not such a map, e.g. the list written by
    ``find_duplicates_to_remove``.
    """
    path = Path(infile)
    with path.open(encoding="utf-8") as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(found, list) and all(map(_is_duplicate, found)) for found in data.values()
    ):
        raise ValueError(f"{path} is not a duplicate map {{file: [duplicate, ...]}}")
    return data


def _is_duplicate(item: object) -> bool:
    """``"name"`` or ``["name", score]``, as ``save_json`` writes them."""
    return isinstance(item, str) or (
        isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
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
