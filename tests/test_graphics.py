"""Pairs of graphics decided from their pixels: the shipped classifier, candidates found below
the threshold, and the ratio test that keeps those only as clear best matches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from imagededup.search import auto, graphics
from imagededup.search.drawing import Drawings
from imagededup.search.graphics import (
    DOUBT,
    DOUBTED_GAP,
    FEATURES,
    SURE_COPIES,
    SearchVectors,
    Trees,
    classifier,
    clear_best,
    nearest_drawings,
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
        "arrow64.png": arrow(64, (200, 40, 40)),
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


@pytest.fixture(scope="module")
def sized(tmp_path_factory: pytest.TempPathFactory) -> Drawings:
    """Drawings 0-1 of 22 px, 2-4 of 48 px and 5-6 of 32 px: arrows in several colours."""
    folder = tmp_path_factory.mktemp("sized")
    sides = [22, 22, 48, 48, 48, 32, 32]
    for k, side in enumerate(sides):
        arrow(side, (40 * k, 200 - 20 * k, 90)).save(folder / f"{k}.png")
    return Drawings([folder / f"{k}.png" for k in range(len(sides))])


def test_below_the_threshold_a_pair_is_kept_only_as_the_clear_best_of_both_files(sized):
    below, above = 0.5, 0.7  # the threshold is 0.65
    cases = [  # (first, second, score, log-odds over the classifier's cut, kept)
        (0, 2, below, 1.0, True),  # the best of 0 at 48 px and of 2 at 22 px, clearly
        (0, 3, below, -2.0, False),  # 0's runner-up at 48 px, rejected
        (1, 2, below, -2.5, False),  # 2's runner-up at 22 px, rejected
        (1, 3, below, 0.8, False),  # 3's best at 22 px, but 1 prefers 4
        (1, 4, below, 1.0, False),  # ... by less than GAP
        (1, 5, below, 0.1, True),  # 5 is the only one of 32 px that 1 matches: -DOUBT
        # stands in for a runner-up, and 0.1 is more than GAP over it
        (5, 6, above, 0.3, True),  # the classifier's word at the threshold
        (2, 4, above, 0.0, True),  # two copies of one size, whatever else matches
        (3, 4, above, -0.5, False),  # rejected, and the only one of 48 px 4 matches:
        # -0.5 is less than DOUBTED_GAP over -DOUBT
    ]
    first, second, scores, sure, kept = map(np.array, zip(*cases, strict=True))
    pairs = Pairs(first, second, scores.astype(np.float32))
    assert clear_best(pairs, sure, sized, 0.65).tolist() == kept.tolist()
    clear = Pairs(np.array([0, 0, 1]), np.array([5, 6, 5]), np.full(3, below, np.float32))
    assert clear_best(clear, np.array([1.0, -6.0, -7.0]), sized, 0.65).tolist() == [
        True, False, False
    ]  # fmt: skip
    # rejected, but by less than DOUBT and the clear best of both by DOUBTED_GAP: a redrawing
    doubted = np.array([-DOUBT, -DOUBT - DOUBTED_GAP, -7.0])
    assert clear_best(clear, doubted, sized, 0.65).tolist() == [True, False, False]
    closer = doubted + np.array([0.0, 0.01, 0.0])  # 0's runner-up at 32 px too near
    assert not clear_best(clear, closer, sized, 0.65).any()
    rejected = doubted - np.array([0.01, 0.0, 0.0])  # rejected by more than DOUBT
    assert not clear_best(clear, rejected, sized, 0.65).any()
    # two drawings of one size (48 px) are two assets of an icon set: never doubted
    one_size = Pairs(np.array([2, 2, 3]), np.array([3, 4, 4]), np.full(3, below, np.float32))
    assert not clear_best(one_size, np.array([-0.5, -3.0, -3.0]), sized, 0.65).any()
    assert clear_best(one_size, np.array([0.5, -3.0, -3.0]), sized, 0.65).tolist() == [
        True, False, False
    ]  # fmt: skip
    alone = Pairs(np.array([1]), np.array([6]), np.array([below], np.float32))
    assert clear_best(alone, np.array([0.0]), sized, 0.65).tolist() == [True]
    assert clear_best(alone, np.array([-0.01]), sized, 0.65).tolist() == [False]
    photos = Pairs(np.array([0, 1]), np.array([2, 3]), np.array([below, above], np.float32))
    assert clear_best(photos, np.full(2, np.inf), sized, 0.65).tolist() == [False, True]


def test_drawings_of_one_size_surely_one_asset_are_one_candidate_of_another_size(sized):
    # 2 and 3 (48 px) are copies, kept at the threshold: 0 (22 px) may prefer both below it
    below, above = 0.5, 0.7
    pairs = Pairs(np.array([2, 0, 0]), np.array([3, 2, 3]), np.array([above, below, below]))
    sure = np.array([SURE_COPIES, 1.0, 0.9])
    assert clear_best(pairs, sure, sized, 0.65).tolist() == [True, True, True]
    # less sure, or found below the threshold, they are rivals: 0 prefers neither by GAP
    less_sure = sure - [0.01, 0.0, 0.0]
    assert clear_best(pairs, less_sure, sized, 0.65).tolist() == [True, False, False]
    found_below = Pairs(pairs.first, pairs.second, np.full(3, below))
    assert clear_best(found_below, sure, sized, 0.65).tolist() == [True, False, False]


def test_copies_of_one_size_share_their_pairs(sized):
    # 2 and 3 (48 px) are copies: 0 (22 px) kept with 2 is kept with 3 too, however low the
    # classifier puts that pair, unless a pixel test ruled it out; 1 (22 px) matches neither
    below, above = 0.5, 0.7
    pairs = Pairs(
        np.array([2, 0, 0, 1, 0]), np.array([3, 2, 3, 3, 1]), np.array([above, *[below] * 4])
    )
    sure = np.array([SURE_COPIES, 1.0, -3.0, -3.0, -3.0])
    assert clear_best(pairs, sure, sized, 0.65).tolist() == [True, True, True, False, False]
    sure[2] = -np.inf  # two shapes, or two colourways
    assert clear_best(pairs, sure, sized, 0.65).tolist() == [True, True, False, False, False]
    sure[0] = SURE_COPIES - 0.01  # not surely copies: 3 is another drawing of that size
    assert clear_best(pairs, sure, sized, 0.65).tolist() == [True, True, False, False, False]


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


def test_drawings_that_look_alike_are_candidates_however_low_the_cnn_scores_them(
    files, monkeypatch
):
    names = ["arrow128.png", "arrow64.png", "photo.png", "blue128.png"]
    paths = [files[n] for n in names]
    vectors = np.eye(4, dtype=np.float32)  # every pair scores 0: far below its floor
    found = refined(Pairs.empty(), paths, 0.65, SearchVectors(vectors))
    pairs = {(names[i], names[j]) for i, j in zip(found.first, found.second, strict=True)}
    assert pairs == {("arrow128.png", "arrow64.png")}
    assert found.scores.tolist() == [0.0]  # the CNN's own score, as for any other pair
    monkeypatch.setattr(graphics, "NEIGHBOURS", 0)  # the score's floor alone finds none
    assert len(refined(Pairs.empty(), paths, 0.65, SearchVectors(vectors))) == 0


def test_each_drawing_pairs_with_its_nearest_looking_ones(sized, monkeypatch):
    drawings = [sized(k) for k in range(7)]  # arrows in 7 colours, of 22, 48 and 32 px
    looks = np.stack([d.looks for d in drawings])
    near = np.argsort(-(looks @ looks.T), axis=1)[:, 1:3]  # brute force, self excluded
    expected = {(min(i, j), max(i, j)) for i in range(7) for j in near[i].tolist()}
    monkeypatch.setattr(graphics, "NEIGHBOURS", 2)
    first, second = nearest_drawings(drawings)
    assert set(zip(first.tolist(), second.tolist(), strict=True)) == expected
    assert len(first) == len(expected)  # each pair once, whichever side found it
    monkeypatch.setattr(auto, "EXACT_MAX_VECTORS", 3)  # a large collection's IVF index
    assert set(zip(*map(np.ndarray.tolist, nearest_drawings(drawings)), strict=True)) == expected
    monkeypatch.setattr(graphics, "NEIGHBOURS", 6)
    assert len(nearest_drawings(drawings)[0]) == 21  # every pair
