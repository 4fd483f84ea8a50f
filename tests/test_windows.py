"""A smooth photo shown inside a larger image, found by the model's view of windows of it
(search.windows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagededup.images.views import window
from imagededup.methods import CNN
from imagededup.search import windows
from imagededup.search.pairs import Pairs


def test_a_smooth_photo_inside_a_screenshot_is_found(
    cnn: CNN, viewer: Path, monkeypatch: pytest.MonkeyPatch
):
    found = cnn.find_duplicates(image_dir=viewer, scores=True)
    pairs = {frozenset((a, b)): s for a, matches in found.items() for b, s in matches}
    assert set(pairs) == {frozenset(("chelsea.jpg", "chelsea_screenshot.png"))}
    assert all(s < cnn.default_threshold for s in pairs.values())  # the score alone misses it
    monkeypatch.setattr(windows, "SHOWN", 1.01)  # no window can show it
    assert not any(cnn.find_duplicates(image_dir=viewer).values())


def test_only_pairs_of_one_smooth_photo_are_looked_into(cnn: CNN, viewer: Path):
    paths = sorted(viewer.iterdir())
    names = [p.name for p in paths]
    vectors = np.stack([cnn.encode_image(image_file=p)[0] for p in paths])
    looked: list[str] = []

    def embed(path, parts):
        looked.append(Path(path).name)
        return cnn.encoder.windows(path, parts)

    seen = windows.Windows(paths, embed, windows.own_views(vectors, cnn.view_count(vectors)))
    cat, shot, rocket = (
        names.index(n) for n in ("chelsea.jpg", "chelsea_screenshot.png", "rocket.jpg")
    )
    pairs = Pairs(np.array([cat, cat, shot]), np.array([shot, rocket, rocket]), np.zeros(3))
    smooth = {cat: True, rocket: True, shot: False}
    assert seen.shown(pairs, smooth.__getitem__).tolist() == [True, False, False]
    assert looked == ["chelsea_screenshot.png"]  # once, and only the file that is not smooth
    assert not seen.shown(pairs.take(np.array([0])), lambda i: False).any()  # neither smooth


def test_windows_lie_where_they_are_placed():
    image = Image.fromarray(
        np.arange(100 * 80 * 3, dtype=np.uint32).reshape(80, 100, 3).astype(np.uint8)
    )
    assert (np.asarray(window(image, 0.5, (0.0, 0.0))) == np.asarray(image)[:40, :50]).all()
    assert window(image, 0.5, (1.0, 1.0)).size == (50, 40)
    corner = np.asarray(window(image, 0.5, (1.0, 1.0)))
    assert (corner == np.asarray(image)[40:, 50:]).all()
    assert (np.asarray(window(image, 0.5, (0.5, 0.5))) == np.asarray(image)[20:60, 25:75]).all()


def test_a_file_gone_or_broken_since_it_was_encoded_shows_nothing(cnn: CNN, viewer: Path, tmp_path):
    shot = tmp_path / "shot.png"
    shot.write_bytes((viewer / "chelsea_screenshot.png").read_bytes()[:2000])  # truncated
    paths = [viewer / "chelsea.jpg", shot, tmp_path / "gone.png", None]
    own = cnn.encode_image(image_file=viewer / "chelsea.jpg")[0]
    vectors = np.stack([own] * 4)
    seen = windows.Windows(
        paths, cnn.encoder.windows, windows.own_views(vectors, cnn.view_count(vectors))
    )
    pairs = Pairs(np.array([0, 0, 0]), np.array([1, 2, 3]), np.zeros(3))
    assert not seen.shown(pairs, lambda i: i == 0).any()
