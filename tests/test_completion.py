"""Lone files joined to the group of their nearest images (search.completion): on vectors, and
on a real photo shown as a desktop's background under two windows."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from imagededup.methods import CNN
from imagededup.search.completion import REACH, completing_pairs
from imagededup.search.copies import view_scores
from imagededup.search.drawing import Drawings
from imagededup.search.graphics import SearchVectors
from imagededup.search.pairs import Pairs
from tests.conftest import EXAMPLES, original

DIM = 64


def unit(*terms: tuple[int, float]) -> np.ndarray:
    vector = np.zeros(DIM, np.float32)
    for axis, weight in terms:
        vector[axis] += weight
    return vector / np.linalg.norm(vector)


def joined(vectors: list[np.ndarray], pairs: list[tuple[int, int]], threshold=0.63) -> set:
    """The pairs ``completing_pairs`` adds among ``vectors`` (no files: none is a graphic)."""
    first, second = zip(*pairs, strict=True)
    found = Pairs(np.array(first), np.array(second), np.ones(len(pairs), np.float32))
    searched = SearchVectors(np.stack(vectors))
    added = completing_pairs(found, searched, Drawings([None] * len(vectors)), threshold)
    return {tuple(sorted(p)) for p in zip(added.first.tolist(), added.second.tolist(), strict=True)}


# Group A: three copies around axis 0; group B: two around axis 5.
A = [unit((0, 1), (1, 0.3)), unit((0, 1), (2, 0.3)), unit((0, 1), (3, 0.3))]
B = [unit((5, 1), (7, 0.3)), unit((5, 1), (7, -0.3))]
GROUPS = [(0, 1), (0, 2), (1, 2), (3, 4)]


def test_a_lone_file_whose_two_nearest_are_one_group_joins_all_of_it():
    lone = unit((0, 1), (4, 1.4))  # about 0.57 with each copy of A: under 0.63, over 0.40
    assert joined([*A, *B, lone], GROUPS) == {(0, 5), (1, 5), (2, 5)}


def test_a_lone_file_between_two_groups_or_too_far_or_near_another_lone_one_joins_none():
    between = unit((0, 1), (5, 1), (1, 0.5), (7, 0.5), (6, 1))  # nearest: one of A, one of B
    far = unit((0, 1), (4, 2.5))  # about 0.37 with A
    lone_pair = [unit((9, 1), (0, 0.8)), unit((9, 1), (0, 0.8), (10, 0.2))]  # each other's best
    assert joined([*A, *B, between], GROUPS) == set()
    assert joined([*A, *B, far], GROUPS) == set()
    assert joined([*A, *B, *lone_pair], GROUPS) == set()


def test_a_stricter_threshold_asks_more_of_the_nearest():
    lone = unit((0, 1), (4, 1.4))
    assert len(joined([*A, *B, lone], GROUPS, threshold=0.63)) == 3
    assert joined([*A, *B, lone], GROUPS, threshold=0.9) == set()


def test_among_look_alikes_a_file_must_stand_out_from_its_crowd():
    # Two copies and a lone file scoring 0.68 with each: it joins them, unless 30 look-alikes
    # (0.61-0.70 to each of the three, like star fields) crowd them: then 0.68 is no evidence.
    group = [unit((0, 1), (5, 0.9), (6, 0.25)), unit((0, 1), (5, 0.9), (6, -0.25))]
    lone = unit((0, 1), (5, 0.3), (7, 0.88))
    look_alikes = [unit((0, 1), (axis, 0.65)) for axis in range(10, 40)]
    assert joined([*group, lone], [(0, 1)]) == {(0, 2), (1, 2)}
    assert joined([*group, lone, *look_alikes], [(0, 1)]) == set()


def desktop(photo: Image.Image) -> Image.Image:
    """``photo`` as a 1280x800 desktop's background under a panel and two text windows."""
    screen = ImageOps.fit(photo, (1280, 800))
    draw = ImageDraw.Draw(screen)
    for box in ((60, 100, 460, 420), (860, 460, 1220, 760)):
        draw.rectangle(box, fill=(240, 240, 240), outline=(90, 90, 90))
        draw.rectangle((box[0], box[1], box[2], box[1] + 24), fill=(60, 60, 60))
        for y in range(box[1] + 40, box[3] - 12, 18):
            length = (y * 37) % (box[2] - box[0] - 28)
            draw.rectangle((box[0] + 14, y, box[0] + 14 + length, y + 6), fill=(60, 60, 60))
    draw.rectangle((0, 0, 1280, 28), fill=(30, 30, 30))
    return screen


def hue_turned(photo: Image.Image) -> Image.Image:
    hue, saturation, value = photo.convert("HSV").split()
    hue = hue.point(lambda h: (h + 128) % 256)
    return Image.merge("HSV", (hue, saturation, value)).convert("RGB")


@pytest.fixture(scope="module")
def desktops(tmp_path_factory):
    """Coffee and its half size and crop; the coffee on a desktop; chelsea's group likewise,
    but on the desktop in other hues (a recoloured version); two other photos."""
    folder = tmp_path_factory.mktemp("desktops")
    for name, shown in (("coffee", lambda p: p), ("chelsea", hue_turned)):
        photo = original(name)
        w, h = photo.size
        photo.save(folder / f"{name}.jpg", quality=90)
        photo.resize((w // 2, h // 2)).save(folder / f"{name}_half.jpg", quality=80)
        photo.crop((w // 10, h // 10, w * 9 // 10, h * 9 // 10)).save(folder / f"{name}_crop.jpg")
        desktop(shown(photo)).save(folder / f"{name}_desktop.png")
    for name in ("astronaut", "rocket"):
        shutil.copy(EXAMPLES / f"{name}.jpg", folder / f"{name}.jpg")
    return folder


def test_a_photo_on_a_desktop_joins_its_copies_and_a_recoloured_one_does_not(desktops):
    cnn = CNN(verbose=False)
    names, vectors = cnn.encode_matrix(desktops)
    threshold = cnn.default_threshold
    for name in ("coffee", "chelsea"):
        shot = names.index(f"{name}_desktop.png")
        copies = [names.index(f"{name}{s}.jpg") for s in ("", "_half", "_crop")]
        scores = view_scores(vectors, cnn.view_count(vectors), np.array([shot] * 3), copies)
        # the premise: each copy scores under the threshold, and not far under it
        assert (scores < threshold).all() and (scores >= threshold - REACH).all(), name

    found = cnn.find_duplicates(image_dir=desktops)
    assert set(found["coffee_desktop.png"]) == {"coffee.jpg", "coffee_half.jpg", "coffee_crop.jpg"}
    assert "coffee_desktop.png" in found["coffee_half.jpg"]
    assert set(found["chelsea.jpg"]) == {"chelsea_half.jpg", "chelsea_crop.jpg"}
    assert found["chelsea_desktop.png"] == []
    assert found["astronaut.jpg"] == found["rocket.jpg"] == []
    strict = cnn.find_duplicates(image_dir=desktops, min_similarity_threshold=0.9)
    assert strict["coffee_desktop.png"] == []
