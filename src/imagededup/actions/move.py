"""``act --move-to DIR``: move each duplicate into DIR, keeping its path relative to the root."""

from __future__ import annotations

import os
from pathlib import Path

from imagededup.actions import safe_fs
from imagededup.actions.base import Action, Step, move_aside
from imagededup.actions.manifest import fresh_names


class Move(Action):
    """Duplicates go to a folder of the user's choice; the manifest is written there too."""

    name = "move"
    flag = "--move-to"
    help = "move duplicates into DIR (same sub-paths)"
    metavar = "DIR"
    done = "moved {files} ({size})"
    keeps_originals_aside = False

    def storage(self, value: str | None, result: Path) -> tuple[Path, Path]:
        folder = Path(os.path.abspath(value or "."))
        if os.path.lexists(folder) and not folder.is_dir():
            raise NotADirectoryError(f"{self.flag} {value}: not a folder")
        if not (safe_fs.is_empty_or_gone(folder) or safe_fs.is_marked(folder)):
            raise ValueError(
                f"{self.flag} {value}: holds files imagededup did not move there; use a new or"
                " empty folder (scans skip it from then on, and undo works only inside it)"
            )
        manifest, _ = fresh_names(folder)
        return manifest, folder

    def apply(self, step: Step) -> None:
        move_aside(step)
