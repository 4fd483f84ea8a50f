"""Pairs of photos under the threshold confirmed by local features (search.geometry)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter, ImageOps

from imagededup.methods import CNN
from imagededup.search import geometry, refine
from imagededup.search.pairs import Pairs
from tests.conftest import EXAMPLES, ORIGINALS, original

PHOTOS = ORIGINALS[:4]  # the Hubble field has its own test (test_background.py)


def crop_rotated(name: str, keep: float = 0.5, angle: float = 40.0) -> Image.Image:
    """The centre ``keep`` of each side of an example photo, turned by ``angle`` degrees with
    the canvas expanded: a copy the CNN scores under its threshold (0.45-0.52 here)."""
    im = original(name)
    width, height = round(im.width * keep), round(im.height * keep)
    left, top = (im.width - width) // 2, (im.height - height) // 2
    cut = im.crop((left, top, left + width, top + height))
    return cut.rotate(angle, Image.Resampling.BICUBIC, expand=True)


@pytest.fixture(scope="module")
def strong_copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five example photos and a crop-rotated copy of four of them."""
    folder = tmp_path_factory.mktemp("strong")
    for name in ORIGINALS:
        shutil.copy(EXAMPLES / f"{name}.jpg", folder / f"{name}.jpg")
    for name in PHOTOS:
        crop_rotated(name).save(folder / f"{name}_turned.jpg", quality=90)
    return folder


def found_pairs(duplicates: dict[str, list[tuple[str, float]]]) -> dict[frozenset, float]:
    return {frozenset((a, b)): s for a, matches in duplicates.items() for b, s in matches}


def test_crop_rotated_copies_under_the_threshold_are_found(cnn: CNN, strong_copies: Path):
    pairs = found_pairs(cnn.find_duplicates(image_dir=strong_copies, scores=True))
    expected = {frozenset((f"{n}.jpg", f"{n}_turned.jpg")) for n in PHOTOS}
    assert set(pairs) == expected  # each copy with its original, nothing else
    assert all(s < cnn.default_threshold for s in pairs.values())  # the score alone misses them


def test_copies_further_under_the_threshold_are_kept_on_more_matching_features(
    cnn: CNN, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for name in ORIGINALS:
        shutil.copy(EXAMPLES / f"{name}.jpg", tmp_path / f"{name}.jpg")
    for name in PHOTOS:  # 40% of each side turned by 40 degrees: scores of 0.29-0.46 here
        crop_rotated(name, 0.4).save(tmp_path / f"{name}_turned.jpg", quality=90)

    def found() -> dict[frozenset, float]:
        return found_pairs(cnn.find_duplicates(image_dir=tmp_path, scores=True))

    pairs = found()
    assert set(pairs) <= {frozenset((f"{n}.jpg", f"{n}_turned.jpg")) for n in PHOTOS}
    deep = {pair for pair, s in pairs.items() if s < cnn.default_threshold - geometry.MARGIN}
    assert len(deep) >= 2
    monkeypatch.setattr(geometry, "DEEP_INLIERS", 10**6)
    assert not deep & set(found())
    monkeypatch.setattr(geometry, "DEEP_INLIERS", geometry.INLIERS)
    monkeypatch.setattr(geometry, "DEEP", geometry.MARGIN)  # candidates down to MARGIN only
    assert not deep & set(found())


def test_without_agreeing_features_the_same_copies_are_missed(
    cnn: CNN, strong_copies: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(geometry, "INLIERS", 10**6)
    duplicates = cnn.find_duplicates(image_dir=strong_copies)
    assert not any(duplicates.values())


def test_a_threshold_stricter_than_the_default_rescues_nothing(cnn: CNN, strong_copies: Path):
    duplicates = cnn.find_duplicates(
        image_dir=strong_copies, min_similarity_threshold=cnn.default_threshold + 0.01
    )
    assert not any(duplicates.values())


def keypoints_of(image: Image.Image, path: Path) -> geometry.Keypoints:
    image.save(path, quality=90)
    found = geometry.keypoints(path)
    assert found is not None
    return found


def test_a_mirrored_turned_crop_fits_one_transform_and_another_photo_does_not(tmp_path: Path):
    photo = keypoints_of(original("astronaut"), tmp_path / "a.jpg")
    copy = keypoints_of(ImageOps.mirror(crop_rotated("astronaut", 0.6, -30)), tmp_path / "b.jpg")
    other = keypoints_of(original("chelsea"), tmp_path / "c.jpg")
    assert geometry.fitted(photo, copy) >= 3 * geometry.INLIERS
    assert geometry.fitted(copy, photo) >= 3 * geometry.INLIERS
    assert geometry.fitted(photo, other) < geometry.INLIERS


def test_only_transforms_a_photo_edit_could_make_are_plausible():
    turn = np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]])
    assert geometry.plausible(0.3 * turn)  # a crop shown larger, turned
    assert geometry.plausible(np.diag([1.0, 0.6]))  # an aspect change
    assert not geometry.plausible(np.diag([-1.0, 1.0]))  # a reflection
    assert not geometry.plausible(np.array([[1.0, 1.0], [1.0, 1.01]]))  # collapsed to a line
    assert not geometry.plausible(0.01 * turn)  # everything onto one point


def test_a_pair_is_checked_when_among_the_best_candidates_of_either_file():
    # With two each: file 0's best are (0, 3) and (0, 4); (0, 1) is file 1's only one;
    # (0, 2) is neither file 0's nor file 2's, whose best are (2, 5) and (2, 6).
    pairs = Pairs(
        np.array([0, 0, 0, 0, 2, 2]),
        np.array([1, 2, 3, 4, 5, 6]),
        np.array([0.50, 0.51, 0.60, 0.59, 0.55, 0.56], np.float32),
    )
    kept = geometry.best_candidates(pairs, count=2)
    assert kept.tolist() == [True, False, True, True, True, True]


def test_unreadable_or_featureless_files_confirm_nothing(tmp_path: Path):
    good = tmp_path / "a.jpg"
    original("astronaut").save(good)
    corrupt = tmp_path / "b.jpg"
    corrupt.write_bytes(good.read_bytes()[:200])
    flat = tmp_path / "c.png"
    Image.new("RGB", (300, 200), (120, 30, 30)).save(flat)
    strip = tmp_path / "d.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (2, 3000), np.uint8)).save(strip)
    paths = [good, corrupt, flat, None, strip, good]
    pairs = Pairs(np.zeros(5, np.int64), np.arange(1, 6), np.zeros(5, np.float32))
    found = geometry.Scenes(paths).fitted(pairs)
    assert found[:4].tolist() == [-1, -1, -1, -1]  # no evidence either way
    assert found[4] >= geometry.INLIERS


def test_look_alike_star_fields_over_the_threshold_are_refuted_and_mirror_images_kept(
    cnn: CNN, star_fields: Path, monkeypatch: pytest.MonkeyPatch
):
    def pairs(found: dict[str, list[str]]) -> tuple[int, int]:
        matches = [(name, other) for name, others in found.items() for other in others]
        wrong = sum(name[:5] != other[:5] for name, other in matches) // 2
        return wrong, len(matches) // 2 - wrong

    wrong, mirrors = pairs(cnn.find_duplicates(image_dir=star_fields))
    assert (wrong, mirrors) == (0, 9)
    monkeypatch.setattr(geometry, "REFUTED", 0)  # the score alone: look-alike patches pair
    wrong, mirrors = pairs(cnn.find_duplicates(image_dir=star_fields))
    assert wrong > 20 and mirrors == 9


@pytest.fixture(scope="module")
def turned_crops(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four example photos, each with its mirror image, its upside-down copy, a crop of its
    centre 60% and a crop of its centre 40% turned by 40 degrees; and the Hubble field."""
    folder = tmp_path_factory.mktemp("turned")
    shutil.copy(EXAMPLES / "hubble_deep_field.jpg", folder)
    for name in PHOTOS:
        photo = original(name)
        photo.save(folder / f"{name}.jpg", quality=90)
        ImageOps.mirror(photo).save(folder / f"{name}_mirror.jpg", quality=90)
        ImageOps.flip(photo).save(folder / f"{name}_flip.jpg", quality=90)
        crop_rotated(name, 0.6, 0.0).save(folder / f"{name}_crop.jpg", quality=90)
        crop_rotated(name, 0.4, -40.0).save(folder / f"{name}_turned.jpg", quality=90)
    return folder


def test_copies_sharing_a_neighbour_are_kept_on_their_features_whatever_their_score(
    cnn: CNN, turned_crops: Path, monkeypatch: pytest.MonkeyPatch
):
    def pairs() -> set[frozenset]:
        return set(found_pairs(cnn.find_duplicates(image_dir=turned_crops, scores=True)))

    def same(pair: frozenset) -> bool:
        return len({name.split("_")[0].split(".")[0] for name in pair}) == 1

    monkeypatch.setattr(geometry, "DEEP", geometry.MARGIN)  # else it finds some of them itself
    found = pairs()
    monkeypatch.setattr(refine, "neighbour_candidates", lambda *_: Pairs.empty())
    fewer = pairs()
    assert all(map(same, found))
    assert fewer < found and len(found - fewer) >= 8  # the turned crops with most copies
    # some of the pairs added score too low even for the candidates under the threshold
    scores = found_pairs(
        cnn.find_duplicates(image_dir=turned_crops, scores=True, min_similarity_threshold=-1.0)
    )
    floor = cnn.default_threshold - geometry.MARGIN
    assert any(scores[pair] < floor for pair in found - fewer)


def test_faint_corners_of_a_smooth_photo_confirm_a_match_but_never_refute_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    smooth = original("coffee").filter(ImageFilter.GaussianBlur(5))
    smooth.save(tmp_path / "a.png")
    smooth.rotate(20, Image.Resampling.BICUBIC).save(tmp_path / "b.png")
    paths = [tmp_path / "a.png", tmp_path / "b.png"]
    pair = Pairs(np.array([0]), np.array([1]), np.zeros(1, np.float32))
    faint = geometry.Scenes(paths).fitted(pair)
    assert geometry.Scenes(paths).fitted(pair, faint=False).tolist() == [-1]
    monkeypatch.setattr(geometry, "FEW", 0)  # only the corners at OpenCV's default threshold
    assert 0 <= geometry.Scenes(paths).fitted(pair)[0] < geometry.INLIERS <= faint[0]
