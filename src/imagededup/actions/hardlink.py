"""``act --hardlink``: replace each duplicate by a hard link to the kept file."""

from __future__ import annotations

import contextlib
import os

from imagededup.actions import safe_fs
from imagededup.actions.base import Action, Step

ALREADY_LINKED = "already a hard link to the kept file"


class Hardlink(Action):
    """The duplicate's original bytes go to a trash folder, then its name becomes a hard link
    to the kept file in one rename, so the name never dangles."""

    name = "hardlink"
    flag = "--hardlink"
    help = "replace duplicates by hard links to the kept file"
    done = "replaced {files} ({size}) by hard links"

    def check(self, step: Step) -> str | None:
        if os.path.samefile(step.file, step.kept):
            return ALREADY_LINKED
        if os.stat(step.file).st_dev != os.stat(step.kept).st_dev:
            return f"on another file system than {step.kept}: a hard link cannot cross it"
        return None

    def apply(self, step: Step) -> None:
        safe_fs.place(step.file, step.stored, step.sha256)
        try:
            safe_fs.swap_in(step.file, lambda temporary: os.link(step.kept, temporary))
        except OSError:
            if self.in_place(step):  # the duplicate is untouched: its copy aside is not needed
                with contextlib.suppress(OSError):  # else undo removes it
                    os.unlink(step.stored)
            raise

    def in_place(self, step: Step) -> bool:
        """The original bytes at the name, and not as the link this action made (a duplicate
        with the kept file's very bytes)."""
        return super().in_place(step) and not _same_file(step.file, step.kept)

    def restore_over(self, step: Step) -> str | None:
        """Only the link this action made is replaced: a file with other bytes, or the kept
        file's old bytes after the kept file was replaced, may be the last copy of them."""
        if safe_fs.is_regular(step.file) and _same_file(step.file, step.kept):
            return None
        return f"{step.file} changed after it was linked (left alone)"


def _same_file(a: os.PathLike[str], b: os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
