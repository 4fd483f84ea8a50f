"""What every file action shares: the ``Action`` class each action is, and moving bytes aside
and back.

An action says where the duplicates' bytes go (``storage``), what it checks before touching a
file (``check``), how it acts (``apply``), when a file needs no restoring (``in_place``) and
whether a file at the original name may be replaced by the stored original (``restore_over``).
Restoring itself (``put_back``) is the same for every action.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from imagededup.actions import safe_fs
from imagededup.actions.manifest import Step, fresh_names


@dataclass
class Outcome:
    """A step after ``apply`` or ``undo``: ``error`` is ``None`` when it was done."""

    step: Step
    error: str | None = None


class Action:
    """One file action: its command-line flag, its checks, how it acts and how it is undone."""

    name: ClassVar[str]
    flag: ClassVar[str]  # the ``act`` option that picks it
    help: ClassVar[str]
    metavar: ClassVar[str | None] = None  # the option takes a folder (``--move-to DIR``)
    done: ClassVar[str]  # summary of a run: "{files}" and "{size}" are filled in
    asks: ClassVar[bool] = False  # asks for confirmation (or ``--yes``) before acting
    keeps_originals_aside: ClassVar[bool] = True  # the originals wait in a trash folder

    def storage(self, value: str | None, result: Path) -> tuple[Path, Path]:
        """(manifest, storage folder) of a run on ``result``; ``value`` is the option's value.

        By default a fresh trash folder and manifest beside ``result``.
        """
        return fresh_names(result.parent)

    def check(self, step: Step) -> str | None:
        """Why this action cannot act on ``step`` (checked before anything changes), or None."""
        return None

    def apply(self, step: Step) -> None:
        """Act on one checked step; on an error, the file is as it was."""
        raise NotImplementedError

    def in_place(self, step: Step) -> bool:
        """Whether ``step.file`` holds its original again (or still): nothing to restore."""
        return safe_fs.is_regular(step.file) and safe_fs.sha256_of(step.file) == step.sha256

    def restore_over(self, step: Step) -> str | None:
        """Why ``step.file``, which exists but is not the original, must not be replaced by the
        stored original (``None``: it may be: it is what this action put there)."""
        return f"{step.file} exists again (never overwritten)"


def move_aside(step: Step) -> None:
    """Put the duplicate's bytes at ``stored`` durably, then remove the duplicate."""
    safe_fs.place(step.file, step.stored, step.sha256)
    safe_fs.remove_source(step.file)


def put_back(step: Step) -> None:
    """Bring the stored original back to ``file`` (free, or holding what the action left there)
    without it ever going missing, then remove the stored copy."""
    if os.path.lexists(step.file):
        safe_fs.swap_in(
            step.file, lambda temporary: safe_fs.place(step.stored, temporary, step.sha256)
        )
    else:
        safe_fs.place(step.stored, step.file, step.sha256)
    safe_fs.remove_source(step.stored)
