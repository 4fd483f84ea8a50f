"""Text that is safe to print: file names cannot fake output lines or drive the terminal.

A file name may hold a newline, a carriage return, an escape sequence that clears the screen, a
right-to-left override, or bytes that are not UTF-8. Every path the command line prints goes
through ``shown``, which writes such characters as Python escapes (``\\n``, ``\\x1b``,
``\\u202e``, ``\\udce9``) and leaves every printable character, accents and emoji included, as is.
"""

from __future__ import annotations

import logging
import os


def shown(text: str | os.PathLike[str]) -> str:
    """``text`` (or a path) with control characters and other non-printables escaped."""
    value = os.fspath(text)
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in value)


class ShownFormatter(logging.Formatter):
    """A log formatter whose messages pass through ``shown`` (log lines name files too)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return shown(super().formatMessage(record))
