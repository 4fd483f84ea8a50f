"""Reading JSON that may be hand-made, truncated or hostile: one clear error, never a traceback."""

from __future__ import annotations

import json
import os


def read_json(path: str | os.PathLike[str], what: str) -> object:
    """The JSON document at ``path``; a ``ValueError`` naming the file when it is not UTF-8 JSON
    or is too deep or too large to be ``what`` ("a manifest", "a duplicate map")."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{os.fspath(path)} is not JSON: {exc}") from None
    except RecursionError:
        raise ValueError(f"{os.fspath(path)} is nested too deeply to be {what}") from None
    except MemoryError:
        raise ValueError(f"{os.fspath(path)} is too large to be {what}") from None
