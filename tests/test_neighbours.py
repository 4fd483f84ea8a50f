"""Copies joined through shared neighbours (search.neighbours), on vectors and on real photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imagededup.methods import CNN
from imagededup.search import geometry
from imagededup.search.copies import duplicate_pairs
from imagededup.search.neighbours import MAX_NEIGHBOURS, shared_neighbour_pairs
from imagededup.search.pairs import Pairs
from tests.conftest import EXAMPLES, original


def pairs_of(edges: dict[tuple[int, int], float]) -> Pairs:
    first, second = zip(*edges, strict=True)
    return Pairs(np.array(first), np.array(second), np.array(list(edges.values()), np.float32))


def as_dict(pairs: Pairs) -> dict[tuple[int, int], float]:
    return {
        (int(a), int(b)): round(float(s), 3)
        for a, b, s in zip(pairs.first, pairs.second, pairs.scores, strict=True)
    }


def test_two_copies_of_one_original_are_joined_by_their_best_shared_neighbour():
    # 1 and 2 both match 0 (the original) and nothing else: overlap {0} of {0,1} and {0,2}.
    joined = shared_neighbour_pairs(pairs_of({(0, 1): 0.8, (0, 2): 0.7}), 3)
    assert as_dict(joined) == {(1, 2): 0.7}


def test_pairs_either_way_round_or_twice_join_the_same():
    # As a distributed search may write them: (2, 0) reversed, (0, 1) twice, a self-pair.
    messy = Pairs(
        np.array([0, 2, 1, 0, 3]),
        np.array([1, 0, 0, 1, 3]),
        np.array([0.8, 0.7, 0.75, 0.9, 1.0], np.float32),
    )
    assert as_dict(shared_neighbour_pairs(messy, 4)) == {(1, 2): 0.7}


def test_one_false_match_between_two_groups_joins_nothing_else():
    # Two groups of four copies, each fully matched, and one false match 3-4 between them.
    edges = {(a, b): 0.9 for group in ((0, 1, 2, 3), (4, 5, 6, 7)) for a in group for b in group}
    edges = {pair: s for pair, s in edges.items() if pair[0] < pair[1]}
    edges[(3, 4)] = 0.7
    assert len(shared_neighbour_pairs(pairs_of(edges), 8)) == 0


def test_a_hub_joins_none_of_its_many_neighbours():
    hub = MAX_NEIGHBOURS + 1
    edges = {(0, k): 0.7 for k in range(1, hub + 1)}
    assert len(shared_neighbour_pairs(pairs_of(edges), hub + 1)) == 0
    fewer = {(0, k): 0.7 for k in range(1, 4)}
    assert len(shared_neighbour_pairs(pairs_of(fewer), 4)) == 3


def test_nothing_to_join():
    assert len(shared_neighbour_pairs(Pairs.empty(), 5)) == 0
    assert len(shared_neighbour_pairs(pairs_of({(0, 1): 0.9}), 2)) == 0
    chain = pairs_of({(0, 1): 0.9, (1, 2): 0.9, (2, 3): 0.9, (3, 4): 0.9})
    assert as_dict(shared_neighbour_pairs(chain, 5)) == {}  # 1/4 and 1/5 overlaps: too little


def test_any_overlap_lists_every_pair_two_steps_apart():
    chain = pairs_of({(0, 1): 0.9, (1, 2): 0.8, (2, 3): 0.7, (3, 4): 0.9})
    two_steps = {(0, 2): 0.8, (1, 3): 0.7, (2, 4): 0.7}
    assert as_dict(shared_neighbour_pairs(chain, 5, least=0.0)) == pytest.approx(two_steps)


def square_crop(image: Image.Image, keep: float) -> Image.Image:
    w, h = round(image.width * keep), round(image.height * keep)
    x, y = (image.width - w) // 2, (image.height - h) // 2
    return image.crop((x, y, x + w, y + h))


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """A photo, a strong crop and a 40-degree rotation of it, and three other photos."""
    folder = tmp_path_factory.mktemp("copies")
    photo = original("chelsea")
    photo.save(folder / "chelsea.jpg", quality=90)
    square_crop(photo, 0.6).save(folder / "chelsea_crop.jpg", quality=90)
    photo.rotate(40, Image.Resampling.BICUBIC, expand=True).save(folder / "chelsea_rot.jpg")
    for name in ("astronaut", "coffee", "rocket"):
        (folder / f"{name}.jpg").write_bytes((EXAMPLES / f"{name}.jpg").read_bytes())
    return folder


def test_a_crop_and_a_rotation_of_one_photo_are_found_through_the_photo(copies, monkeypatch):
    monkeypatch.setattr(geometry, "INLIERS", 10**6)  # local features would find them directly
    cnn = CNN(verbose=False)
    names, vectors = cnn.encode_matrix(copies)
    direct = as_dict(duplicate_pairs(vectors, 0.0, cnn.view_count(vectors)))
    crop, rot, photo = (names.index(f"chelsea{s}.jpg") for s in ("_crop", "_rot", ""))
    threshold = cnn.default_threshold
    # the premise: the two copies miss each other and each matches the photo
    assert direct[tuple(sorted((crop, rot)))] < threshold
    assert min(direct[tuple(sorted((photo, k)))] for k in (crop, rot)) >= threshold

    found = cnn.find_duplicates(image_dir=copies, scores=True)
    assert {name for name, _ in found["chelsea_crop.jpg"]} == {"chelsea.jpg", "chelsea_rot.jpg"}
    assert all(score >= threshold for matches in found.values() for _, score in matches)
    for other in ("astronaut.jpg", "coffee.jpg", "rocket.jpg"):
        assert found[other] == []
