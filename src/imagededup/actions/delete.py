"""``act --delete``: move each duplicate into a trash folder beside the result (never unlink)."""

from __future__ import annotations

from imagededup.actions.base import Action, Step, move_aside


class Delete(Action):
    """Duplicates go to a fresh trash folder that the user deletes once satisfied."""

    name = "delete"
    flag = "--delete"
    help = "move duplicates into a trash folder next to RESULT"
    done = "moved {files} ({size}) to the trash folder"
    asks = True

    def apply(self, step: Step) -> None:
        move_aside(step)
