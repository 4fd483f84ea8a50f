"""A picture of one file and its duplicates, with their scores, as a matplotlib figure.

Where matplotlib's backend opens windows (Qt, Tk, GTK, macOS...), the figure is shown with
``pyplot.show()``, as imagededup 0.3.3 did, so a script shows it. Elsewhere (servers, tests, CI,
notebooks' inline backend) it is built without pyplot: no global state, no window, safe in
threads; notebooks display the returned figure. Images go through the library's decoder, so EXIF
orientation, transparency and odd modes look as the methods saw them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib
from matplotlib.backends import BackendFilter, backend_registry
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec

from imagededup.images.decode import DecodeError, load_rgb
from imagededup.validation import ArgumentTypeError

COLUMNS = 4
TILE_PIXELS = 384  # longest side of a thumbnail
_NOTEBOOK_BACKENDS = frozenset({"nbagg", "notebook"})  # they display the returned figure


def plot_duplicates(
    image_dir: str | os.PathLike[str],
    duplicate_map: Mapping,
    filename: str,
    outfile: str | os.PathLike[str] | None = None,
) -> Figure:
    """Draw ``filename`` (top) and its duplicates from ``duplicate_map`` (a grid below).

    ``duplicate_map`` is what ``find_duplicates`` returns, with or without scores; scores are
    shown after the names. The figure is saved to ``outfile`` when given (the format follows its
    extension, e.g. ``.png``), shown when the backend opens windows, and returned.
    """
    folder = Path(image_dir)
    if not folder.is_dir():
        raise NotADirectoryError(f"image_dir is not a directory: {folder}")
    if not isinstance(duplicate_map, Mapping):
        raise ArgumentTypeError(
            f"duplicate_map must be a dict as find_duplicates returns, got {type(duplicate_map)}"
        )
    if filename not in duplicate_map:
        raise ValueError(f"{filename!r} is not a key of duplicate_map")
    found = duplicate_map[filename]
    if not found:
        raise ValueError(f"{filename!r} has no duplicates in duplicate_map: nothing to plot")

    rows = 1 + math.ceil(len(found) / COLUMNS)
    window = shows_windows()
    figure = _new_figure((10, 3 * rows), window)
    grid = GridSpec(rows, COLUMNS, figure=figure)
    _tile(figure.add_subplot(grid[0, 1:3]), folder / filename, f"Original: {filename}", 10)
    for number, entry in enumerate(found):
        name, title = (entry, entry) if isinstance(entry, str) else (entry[0], _titled(*entry))
        axes = figure.add_subplot(grid[1 + number // COLUMNS, number % COLUMNS])
        _tile(axes, folder / name, title, 8)
    figure.tight_layout()
    if outfile:
        figure.savefig(outfile)
    if window:
        import matplotlib.pyplot as plt

        plt.show()
    return figure


def shows_windows() -> bool:
    """Whether matplotlib's backend opens windows, where ``pyplot.show()`` displays figures."""
    backend = matplotlib.get_backend().lower()
    interactive = backend_registry.list_builtin(BackendFilter.INTERACTIVE)
    return backend in interactive and backend not in _NOTEBOOK_BACKENDS


def _new_figure(size: tuple[float, float], window: bool) -> Figure:
    """A pyplot figure (which ``pyplot.show()`` displays) for a window, else a plain one."""
    if not window:
        return Figure(figsize=size)
    import matplotlib.pyplot as plt

    return plt.figure(figsize=size)


def _titled(name: str, score: float) -> str:
    shown = f"{score:.3f}" if isinstance(score, float) else f"{score}"
    return f"{name} ({shown})"


def _tile(axes, path: Path, title: str, fontsize: int) -> None:
    """One thumbnail with its title, or the reason it cannot be shown."""
    try:
        image = load_rgb(path, TILE_PIXELS)
    except DecodeError as exc:
        axes.text(0.5, 0.5, str(exc), ha="center", va="center", wrap=True, fontsize=fontsize)
    else:
        with image:
            image.thumbnail((TILE_PIXELS, TILE_PIXELS))
            axes.imshow(image)
    axes.set_title(title, fontsize=fontsize)
    axes.axis("off")
