"""plot_duplicates draws the query and one tile per duplicate, and saves a real PNG."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imagededup.methods import PHash
from imagededup.utils import plot_duplicates
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def duplicates(photo_dir):
    return PHash(verbose=False).find_duplicates(image_dir=photo_dir, scores=True)


def test_png_with_one_tile_per_duplicate(photo_dir, duplicates, tmp_path):
    outfile = tmp_path / "chelsea.png"
    figure = plot_duplicates(photo_dir, duplicates, "chelsea.jpg", outfile=outfile)
    found = duplicates["chelsea.jpg"]
    assert len(figure.axes) == 1 + len(found)
    titles = [axes.get_title() for axes in figure.axes]
    assert titles[0] == "Original: chelsea.jpg"
    assert titles[1:] == [f"{name} ({score})" for name, score in found]
    with Image.open(outfile) as png:
        assert png.format == "PNG"
        pixels = np.asarray(png.convert("L"))
    # Read the tiles back: the row through the middle of the duplicates' grid row crosses one
    # non-white run per tile.
    height = pixels.shape[0]
    band = pixels[int(height * 0.75)] < 250
    runs = np.count_nonzero(band[1:] & ~band[:-1]) + int(band[0])
    assert runs == len(found)


def test_names_without_scores_and_undecodable_files(tmp_path):
    (tmp_path / "a.jpg").write_bytes((EXAMPLES / "rocket.jpg").read_bytes())
    (tmp_path / "b.jpg").write_bytes(b"not an image")
    figure = plot_duplicates(tmp_path, {"a.jpg": ["b.jpg"], "b.jpg": ["a.jpg"]}, "a.jpg")
    assert [axes.get_title() for axes in figure.axes] == ["Original: a.jpg", "b.jpg"]
    assert "not an image" in figure.axes[1].texts[0].get_text()


def test_bad_arguments(photo_dir, duplicates):
    with pytest.raises(ValueError, match="not a key"):
        plot_duplicates(photo_dir, duplicates, "missing.jpg")
    with pytest.raises(ValueError, match="no duplicates"):
        plot_duplicates(photo_dir, duplicates, "rocket.jpg")
    with pytest.raises(NotADirectoryError):
        plot_duplicates(photo_dir / "rocket.jpg", duplicates, "rocket.jpg")


def test_shown_with_pyplot_only_where_the_backend_opens_windows(photo_dir, duplicates, monkeypatch):
    import matplotlib.pyplot as plt

    from imagededup.utils import plot

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.get_fignums()))
    assert not plot.shows_windows()  # the tests run headless (Agg)
    plot_duplicates(photo_dir, duplicates, "chelsea.jpg")
    assert shown == [] and plt.get_fignums() == []
    monkeypatch.setattr(plot, "shows_windows", lambda: True)
    figure = plot_duplicates(photo_dir, duplicates, "chelsea.jpg")
    assert len(shown) == 1 and shown[0] == [figure.number]  # a script shows it, as 0.3.3 did
    plt.close(figure)
