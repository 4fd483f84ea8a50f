"""Pairs of graphics decided from their pixels: the shipped classifier, candidates found below
the threshold, and the one-link rule that keeps them from chaining."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from imagededup.search.drawing import Drawings
from imagededup.search.graphics import (
    FEATURES,
    SearchVectors,
    Trees,
    classifier,
    one_link_below,
    pair_features,
)
from imagededup.search.pairs import Pairs
from imagededup.search.refine import refined
from tests.conftest import original
from tests.test_verify import arrow, one_asset


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("graphics")
    red = arrow(128, (200, 40, 40))
    padded = Image.new("RGBA", (160, 160))
    padded.alpha_composite(red, (7, 20))
    images = {
        "arrow128.png": red,
        "arrow32.png": arrow(32, (200, 40, 40)),
        "mirror128.png": ImageOps.mirror(red),
        "blue128.png": arrow(128, (40, 40, 200)),
        "padded.png": padded,
        "photo.png": original("astronaut").resize((128, 128)),
    }
    for name, image in images.items():
        image.save(folder / name)
    red.save(folder / "arrow128.gif")  # 256 colours and one transparent index
    return {name: folder / name for name in [*images, "arrow128.gif"]}


def test_trees_send_each_row_down_its_splits_and_add_the_leaves():
    # one tree: feature 1 <= 0.5 -> leaf -1.0, else leaf 2.0
    arrays = {
        "features": np.array(FEATURES),
        "roots": np.array([0]),
        "feature": np.array([1, 0, 0]),
        "split": np.array([0.5, 0.0, 0.0]),
        "left": np.array([1, 0, 0]),
        "right": np.array([2, 0, 0]),
        "value": np.array([0.0, -1.0, 2.0]),
        "leaf": np.array([False, True, True]),
        "base": np.array(0.25),
        "cut": np.array(0.0),
    }
    x = np.zeros((3, len(FEATURES)), np.float32)
    x[:, 1] = [0.2, 0.5, 0.9]
    trees = Trees(arrays)
    assert trees.log_odds(x).tolist() == [-0.75, -0.75, 2.25]
    assert trees.accepts(x).tolist() == [False, False, True]
    with pytest.raises(ValueError, match="features"):
        Trees(arrays | {"features": np.array(FEATURES[::-1])})


def test_the_shipped_classifier_never_counts_a_higher_score_against_a_pair(files):
    names = ["arrow128.png", "arrow32.png", "mirror128.png", "blue128.png", "photo.png"]
    read = Drawings([files[n] for n in names])
    first, second = np.triu_indices(len(names), 1)
    x = pair_features(Pairs(first, second, np.zeros(len(first), np.float32)), read, 0.0)
    odds = []
    for margin in np.linspace(-0.35, 0.35, 15):
        x[:, FEATURES.index("margin")] = margin
        odds.append(classifier().log_odds(x))
    assert np.all(np.diff(np.array(odds), axis=0) >= 0)


@pytest.mark.parametrize("copy", ["arrow128.gif", "padded.png", "arrow32.png"])
def test_a_copy_is_one_asset_below_the_threshold(files, copy):
    # a palette GIF of the same drawing, the same drawing on a larger canvas, a smaller copy
    assert one_asset(files["arrow128.png"], files[copy], 0.5)


def test_unreadable_files_have_no_features(files, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    pair = Pairs(np.array([0]), np.array([1]), np.array([0.9], np.float32))
    with pytest.raises(ValueError, match="readable"):
        pair_features(pair, Drawings([files["arrow128.png"], broken]), 0.65)


def test_below_the_threshold_a_pair_only_adds_a_file_without_a_match():
    pairs = Pairs(
        np.array([0, 0, 1, 3, 5, 7, 6, 5]),
        np.array([1, 2, 2, 4, 6, 8, 7, 9]),
        np.array([0.6, 0.5, 0.55, 0.9, 0.9, 0.9, 0.6, 0.5], np.float32),
    )
    kept = pairs.take(one_link_below(pairs, 0.65))
    # (0, 1) is the best below 0.65 of 0 and of 1; (1, 2) and (0, 2) would chain 2 on;
    # (6, 7) would join the groups {5, 6} and {7, 8}; (5, 9) adds 9, which had no match
    assert list(zip(kept.first.tolist(), kept.second.tolist(), strict=True)) == [
        (0, 1), (3, 4), (5, 6), (7, 8), (5, 9)
    ]  # fmt: skip
    assert one_link_below(pairs, 0.4).all()


def test_graphics_are_searched_below_the_threshold_and_decided_by_their_pixels(files):
    names = ["arrow128.png", "arrow32.png", "mirror128.png", "photo.png", "blue128.png"]
    # every pair scores 0.5: below 0.65, above its floor for graphics (0.65 - 0.35)
    vectors = np.sqrt(0.5) * np.hstack([np.ones((5, 1)), np.eye(5)]).astype(np.float32)
    paths = [files[n] for n in names]
    found = refined(Pairs.empty(), paths, 0.65, SearchVectors(vectors))
    pairs = {(names[i], names[j]) for i, j in zip(found.first, found.second, strict=True)}
    assert pairs == {("arrow128.png", "arrow32.png")}  # not the mirror image, the photo, blue
    assert found.scores.tolist() == pytest.approx([0.5])
    # without the vectors (a distributed search's pairs), nothing is searched again
    assert len(refined(Pairs.empty(), paths, 0.65)) == 0
