"""Duplicate pairs -> groups (connected components) -> which files to keep and which to remove.

A keep policy (``imagededup.keep``) chooses the file kept in a group. Ties are broken by the order
of the files in the input (sorted names for a folder), so the choice is always deterministic. Files
in reference folders are never removed: a group that has some keeps all of them and nothing else.
The API (``CNN.find_duplicates_to_remove``) and the command line share this one implementation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from imagededup.images.info import FileInfo, file_info
from imagededup.keep import KEEP_POLICIES, Content, ContentOf, InfoOf, measure
from imagededup.search.pairs import Pairs


def check_keep_policy(keep: object) -> str:
    """``keep`` if it names a policy, else a ``ValueError`` that lists them."""
    if keep not in KEEP_POLICIES:
        raise ValueError(f"unknown keep policy {keep!r}: use one of {', '.join(KEEP_POLICIES)}")
    return keep


def _no_info(name: str) -> FileInfo:
    raise ValueError(f"this keep policy reads file sizes, dates or resolutions; none for {name!r}")


def _no_content(name: str) -> Content:
    raise ValueError(f"the best keep policy measures the pixels of each file; none for {name!r}")


def _not_reference(name: str) -> bool:
    return False


@dataclass(frozen=True)
class Group:
    """One duplicate group: its ``files`` in input order, those kept (best first), and which of
    them are in reference folders (then all of those are kept, and only those)."""

    files: list[str]
    keep: list[str]
    references: frozenset[str] = frozenset()

    @property
    def remove(self) -> list[str]:
        """The files that may go, in input order."""
        kept = set(self.keep)
        return [name for name in self.files if name not in kept]

    def status(self, name: str) -> str:
        """``"reference"``, ``"keep"`` or ``"duplicate"``: what becomes of ``name``."""
        if name in self.references:
            return "reference"
        return "keep" if name in self.keep else "duplicate"


def keep_group(
    files: Sequence[str],
    keep: str = "first",
    info: InfoOf = _no_info,
    is_reference: Callable[[str], bool] = _not_reference,
    content: ContentOf = _no_content,
) -> Group:
    """Keep the file the ``keep`` policy chooses, or every reference file (the policy's choice
    among them first). ``content`` measures a file's pixels, for the ``best`` policy."""
    choose = KEEP_POLICIES[check_keep_policy(keep)]
    references = [name for name in files if is_reference(name)]
    candidates = references or list(files)
    first = candidates[choose(candidates, info, content)]
    kept = [first] + [name for name in references if name != first]
    return Group(list(files), kept, frozenset(references))


def connected_groups(count: int, pairs: Pairs) -> list[list[int]]:
    """Groups of two or more items joined by ``pairs``, each sorted, ordered by first member."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(pairs.first.tolist(), pairs.second.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for i in range(count):
        members.setdefault(root(i), []).append(i)
    return [group for group in members.values() if len(group) > 1]


def files_to_remove(
    names: Sequence[str],
    pairs: Pairs,
    keep: str = "first",
    info: InfoOf = _no_info,
    content: ContentOf = _no_content,
) -> list[str]:
    """The files whose removal leaves exactly one file of each group, the one ``keep`` prefers."""
    check_keep_policy(keep)
    groups = connected_groups(len(names), pairs)
    return [
        name
        for members in groups
        for name in keep_group([names[i] for i in members], keep, info, content=content).remove
    ]


def files_to_remove_under(
    folder: str | os.PathLike[str] | None, names: Sequence[str], pairs: Pairs, keep: str
) -> list[str]:
    """``files_to_remove`` for names relative to ``folder`` (None: the working directory)."""
    root = Path(folder) if folder is not None else Path()
    info = cache(lambda name: file_info(root / name))
    return files_to_remove(names, pairs, keep, info, cache(lambda name: measure(root / name)))


def groups_from_map(
    duplicates: Mapping[str, Sequence[str] | Sequence[tuple[str, float]]],
) -> list[list[str]]:
    """Groups of a duplicate map (with or without scores), as lists of names in map order.

    A duplicate that is not itself a key (a hand-edited map) joins its group all the same.
    """
    names = list(duplicates)
    index = {name: i for i, name in enumerate(names)}

    def number(name: str) -> int:
        if name not in index:
            index[name] = len(names)
            names.append(name)
        return index[name]

    edges = [
        (index[name], number(other if isinstance(other, str) else other[0]))
        for name, found in duplicates.items()
        for other in found
    ]
    edge_array = np.array(edges, dtype=np.int64).reshape(-1, 2)
    pairs = Pairs(edge_array[:, 0], edge_array[:, 1], np.zeros(len(edge_array), np.float32))
    return [[names[i] for i in group] for group in connected_groups(len(names), pairs)]


def reclaimable_bytes(groups: Sequence[Group], info: InfoOf) -> int:
    """Bytes freed by removing every removable file; hard links of a kept file count for nothing.

    A file known only by a scan record (no inode) is counted in full.
    """
    kept = {info(name).inode for group in groups for name in group.keep} - {None}
    counted: set[tuple[int, int]] = set()
    total = 0
    for group in groups:
        for name in group.remove:
            facts = info(name)
            if facts.inode is not None:
                if facts.inode in kept or facts.inode in counted:
                    continue
                counted.add(facts.inode)
            total += facts.size
    return total
