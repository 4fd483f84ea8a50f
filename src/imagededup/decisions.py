"""Per-file choices made in the report, and which files of each group they remove.

The report downloads a decisions file::

    {"format": "imagededup-decisions", "version": 1, "keep": [name, ...], "remove": [name, ...]}

with names as in the result JSON. ``act --decisions`` removes the files listed in ``remove`` and
never those in ``keep``; a file in neither follows the keep policy, and a file in a reference
folder is never removed. A group in which every file would go is left alone. The file is
untrusted input: its size, types and names are checked before anything is planned, and a name
that is not in the result is an error, so a decisions file can only ever narrow or shift what a
result allows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imagededup.groups import Group
from imagededup.jsonfile import read_json
from imagededup.scan import check_relative_names

DECISIONS_FORMAT = "imagededup-decisions"
DECISIONS_VERSION = 1
MAX_BYTES = 256 * 1024 * 1024
"""Largest decisions file read (millions of names fit; a larger one is refused unread)."""
MAX_NAME = 4096
"""Longest name accepted (PATH_MAX on Linux)."""
_KEYS = frozenset({"format", "version", "keep", "remove"})


@dataclass(frozen=True)
class Decisions:
    """The names a person chose to keep and to remove."""

    keep: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()


@dataclass
class Decided:
    """Groups after the decisions, the messages about groups or files left alone, and how many
    files were left alone (they make ``act`` exit with 1)."""

    groups: list[Group]
    messages: list[str] = field(default_factory=list)
    left_alone: int = 0


def load_decisions(path: str | os.PathLike[str]) -> Decisions:
    """Read and check a decisions file; raises ``ValueError`` saying what is wrong with it."""
    source = Path(path)
    if source.stat().st_size > MAX_BYTES:
        raise ValueError(f"{source}: larger than {MAX_BYTES} bytes; not a decisions file")
    return parse_decisions(read_json(source, "a decisions file"), source)


def parse_decisions(data: object, source: str | os.PathLike[str]) -> Decisions:
    """Check parsed JSON ``data`` (from ``source``, named in errors) and return its decisions."""
    if not isinstance(data, dict) or data.get("format") != DECISIONS_FORMAT:
        raise ValueError(f"{source} is not an imagededup decisions file")
    version = data.get("version")
    if type(version) is not int or version != DECISIONS_VERSION:
        raise ValueError(f"{source} has decisions version {version!r}, not {DECISIONS_VERSION}")
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"{source}: unknown keys {sorted(unknown)}")
    keep, remove = (_names(data.get(key, []), key, source) for key in ("keep", "remove"))
    both = keep & remove
    if both:
        raise ValueError(f"{source}: {sorted(both)[0]!r} is both in keep and in remove")
    return Decisions(keep, remove)


def _names(value: object, key: str, source: str | os.PathLike[str]) -> frozenset[str]:
    if not isinstance(value, list):
        raise ValueError(f"{source}: {key!r} must be a list of names")
    for name in value:
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or "\0" in name:
            raise ValueError(f"{source}: {key!r} holds {str(name)[:80]!r}, not a file name")
    check_relative_names(value, source)
    return frozenset(value)


def decide(
    groups: Sequence[Group], decisions: Decisions, names: Iterable[str] | None = None
) -> Decided:
    """The groups with their kept files set by ``decisions`` (undecided files: as the policy
    chose); a group that would keep nothing is dropped with a message.

    Raises ``ValueError`` for a name that is not among ``names`` (default: the files of
    ``groups``; pass every name of the result when some groups were already left alone). The
    kept files stay in the policy's order, followed by files kept by decision in input order,
    so ``keep[0]`` (the target of hard links) is the policy's choice whenever that is kept.
    """
    known = set(names) if names is not None else {n for group in groups for n in group.files}
    unknown = (decisions.keep | decisions.remove) - known
    if unknown:
        raise ValueError(
            f"the decisions name {len(unknown)} file(s) that are in no group of the result,"
            f" e.g. {sorted(unknown)[0]!r}: were they made from another result?"
        )
    decided = Decided([])
    for group in groups:
        shielded = [name for name in group.references if name in decisions.remove]
        for name in shielded:
            decided.messages.append(f"leave {name}: in a reference folder, never removed")
        decided.left_alone += len(shielded)
        chosen = {name for name in group.files if name in decisions.keep}
        kept = [n for n in group.keep if n not in decisions.remove or n in group.references]
        kept += [n for n in group.files if n in chosen and n not in kept]
        if not kept:
            decided.messages.append(
                f"leave group of {', '.join(group.files)}: the decisions remove every file of it"
            )
            decided.left_alone += len(group.files)
            continue
        decided.groups.append(Group(group.files, kept, group.references))
    return decided
