"""Move, delete or hard-link duplicates safely: plan first, manifest always, undo for everything.

Threat model. Every JSON the tool reads (the result, its scan record, a manifest, the cache) is
untrusted input: it may be hand-made, truncated, swapped with another, or crafted to reach other
files. The file system can change under the tool, fill up, or fail at any call. The process
can die at any instruction. Whatever happens, no byte of a user's file is lost:

- ``plan`` only reads. It checks every file and says what would happen to it. A group is left
  alone when a kept file is gone, changed since the scan (SHA-256), unreadable, inside a folder
  imagededup moved files into, or reached through a symbolic link out of the root; a duplicate
  is left alone when it changed, vanished, is a symbolic link, leaves the root through one, is
  what a kept symbolic link points to, or its destination exists. An unreadable file leaves
  its group alone; the other groups go on.
- Containment: ``act`` and ``undo`` touch only files under the scan's root (symbolic links
  resolved) and under the storage folder the run made and marked (``.imagededup-output``).
  ``undo`` refuses a manifest that points anywhere else, and removes only the folders its run
  made, and only when empty.
- Nothing is ever overwritten. A file is placed with a hard link or a copy written to a
  temporary name, fsynced and checked by SHA-256 before it gets its name; the source goes only
  after that. The only names ``undo`` replaces hold bytes that exist whole elsewhere (a hard
  link of the kept file, or an interrupted copy of the stored original).
- The manifest (every step, every folder the run makes, SHA-256 of every file) is written
  atomically and fsynced before the first change, and rewritten with statuses at the end.
  ``undo`` decides from what it finds on disk, removes what an interrupted run left (temporary
  copies, stored copies whose original is back) and can be run again until everything is back.
- Folders marked as imagededup's output are never scanned, and their files are never kept.

Each action (``move.py``, ``delete.py``, ``hardlink.py``) is one ``Action`` class; the command
line builds its flags from ``ACTIONS``.
"""

from imagededup.actions.base import Action, Outcome
from imagededup.actions.manifest import Manifest, ManifestError, Step, fresh_names
from imagededup.actions.run import (
    ACTIONS,
    action_named,
    apply,
    plan,
    plan_undo,
    removed_files,
    undo,
)
from imagededup.actions.safe_fs import in_own_output

__all__ = [
    "ACTIONS",
    "Action",
    "Manifest",
    "ManifestError",
    "Outcome",
    "Step",
    "action_named",
    "apply",
    "fresh_names",
    "in_own_output",
    "plan",
    "plan_undo",
    "removed_files",
    "undo",
]
