"""Duplicate maps in imagededup's format, and saving them as JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from imagededup.search.pairs import Pairs

DuplicateMap = dict[str, list[str]] | dict[str, list[tuple[str, float]]]


def duplicate_map(
    names: Sequence[str], pairs: Pairs, scores: bool = False, higher_is_closer: bool = True
) -> DuplicateMap:
    """``{name: [duplicate, ...]}`` for every name, symmetric, closest first, then by name.

    Scores are similarities (``higher_is_closer``) or distances. With ``scores``, each duplicate
    is a ``(name, score)`` tuple with a plain Python score (float, or int for Hamming distances).
    """
    matches: dict[str, list[tuple[str, float]]] = {name: [] for name in names}
    for a, b, s in zip(
        pairs.first.tolist(), pairs.second.tolist(), pairs.scores.tolist(), strict=True
    ):
        matches[names[a]].append((names[b], s))
        matches[names[b]].append((names[a], s))
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
