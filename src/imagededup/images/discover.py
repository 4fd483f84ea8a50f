"""Find the image files under a folder and give each a stable, relative name.

Names are POSIX-style paths relative to the folder (``"a.jpg"``, ``"sub/b.png"``), the keys
imagededup has always used. Hidden files and folders are skipped, as in imagededup 0.3.3; symlinked
folders are not entered unless asked (``follow_symlinks``, then once each: loops are broken), as in
fdupes and fclones. Files are recognised by content, as 0.3.3 tried every file with Pillow: a file
with an image extension is listed, and any other file is listed when Pillow identifies it as an
image from its first bytes (a JPEG named ``.svg`` or ``IMG_1``). Folders that imagededup's own
actions moved files into (they hold an ``OUTPUT_MARKER`` file) are skipped: a tool's own output is
never its input.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

import imagededup.images.decode  # noqa: F401  (registers the HEIF opener when installed)

logger = logging.getLogger("imagededup")

OUTPUT_MARKER = ".imagededup-output"
"""The file that marks a folder imagededup's actions moved files into."""

_FOLLOW_SYMLINKS: ContextVar[bool] = ContextVar("follow_symlinks", default=False)


@contextlib.contextmanager
def following_symlinks(follow: bool) -> Iterator[None]:
    """Within the block, ``list_images`` enters symbolic links to folders when ``follow``
    (how the command line's ``find --follow-symlinks`` reaches every finder)."""
    token = _FOLLOW_SYMLINKS.set(follow)
    try:
        yield
    finally:
        _FOLLOW_SYMLINKS.reset(token)


IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".bmp", ".dib", ".gif", ".tif",
        ".tiff", ".webp", ".ppm", ".pgm", ".pbm", ".pnm", ".ico", ".mpo", ".jp2", ".j2k",
        ".jpx", ".tga", ".psd", ".dds", ".qoi", ".avif", ".heic", ".heif",
    }
)  # fmt: skip


@dataclass
class Listing:
    """Image files under ``root``: absolute paths, relative names, and what was skipped."""

    root: Path
    paths: list[Path] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def is_image_name(name: str) -> bool:
    """Whether ``name`` has an extension that imagededup tries to decode."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def has_image_content(path: str | os.PathLike[str]) -> bool:
    """Whether Pillow identifies ``path`` as an image from its header (nothing is decoded)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path):
                return True
    except Image.DecompressionBombError:
        return True  # an image; decoding it gives the reason it is skipped
    except (OSError, ValueError, SyntaxError, EOFError):  # UnidentifiedImageError is an OSError
        return False


def list_images(
    image_dir: str | os.PathLike[str], recursive: bool = False, follow_symlinks: bool | None = None
) -> Listing:
    """List image files in ``image_dir`` (and its sub-folders when ``recursive``), sorted by name.

    ``follow_symlinks``: enter symbolic links to folders (default: no, or as ``following_symlinks``
    says). Folders holding ``OUTPUT_MARKER`` are skipped.

    Raises ``NotADirectoryError``/``FileNotFoundError`` for a bad ``image_dir``; anything unreadable
    below it is logged and recorded in ``Listing.skipped`` instead.
    """
    root = Path(image_dir)
    if not root.exists():
        raise FileNotFoundError(f"image_dir does not exist: {root}")
    if not root.is_dir():
        raise NotADirectoryError(f"image_dir is not a directory: {root}")
    root = root.absolute()
    listing = Listing(root=root)
    found: list[tuple[str, Path]] = []
    follow = _FOLLOW_SYMLINKS.get() if follow_symlinks is None else follow_symlinks
    seen_dirs: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                logger.warning("Skipping %s: symlink loop or folder already visited", folder)
                continue
            seen_dirs.add(key)
            entries = list(os.scandir(folder))
        except OSError as exc:
            _skip(listing, _relative(folder, root), f"cannot read folder: {exc.strerror or exc}")
            continue
        if any(entry.name == OUTPUT_MARKER for entry in entries):
            logger.info("Skipping %s: imagededup moved files into it", folder)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = _relative(Path(entry.path), root)
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if is_dir and entry.is_symlink() and not follow:
                continue
            if is_dir:
                if recursive:
                    stack.append(Path(entry.path))
                elif is_image_name(entry.name):
                    _skip(listing, rel, "is a directory")
                continue
            try:
                is_file = entry.is_file()
            except OSError:
                is_file = False
            if not is_image_name(entry.name) and not (is_file and has_image_content(entry.path)):
                continue
            if not is_file:
                reason = "broken symlink" if entry.is_symlink() else "not a regular file"
                _skip(listing, rel, reason)
                continue
            found.append((rel, Path(entry.path)))
    found.sort(key=lambda item: item[0])
    listing.names = [name for name, _ in found]
    listing.paths = [path for _, path in found]
    return listing


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else "."


def _skip(listing: Listing, name: str, reason: str) -> None:
    logger.warning("Skipping %s: %s", name, reason)
    listing.skipped[name] = reason
