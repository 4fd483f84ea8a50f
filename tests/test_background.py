"""The shipped background of the normalisation: small collections of look-alikes normalised."""

from __future__ import annotations

import numpy as np

from imagededup.methods import CNN
from imagededup.models.registry import background
from imagededup.search.copies import FLOOR, crowding, duplicate_pairs
from imagededup.search.exact import flat_index


def test_the_default_models_have_a_background_and_others_none():
    vectors = background("sscd_distilled")
    assert vectors is not None and vectors.shape[1] == 512 and len(vectors) >= 500
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert background("sscd_distilled_fast") is vectors  # same weights, same image vectors
    assert background("sscd") is None and background("onnx:x.onnx") is None


def test_crowding_with_a_background_is_crowding_over_both():
    rng = np.random.default_rng(0)
    centre = rng.standard_normal(64)
    cloud = centre + rng.standard_normal((80, 64))  # look-alikes around one direction
    cloud /= np.linalg.norm(cloud, axis=1, keepdims=True)
    images, extra = cloud[:12].astype(np.float32), cloud[12:].astype(np.float32)
    alone = crowding(flat_index(images), images)
    assert np.all(alone == FLOOR)  # 12 images: fewer than K neighbours, no normalisation
    both = crowding(flat_index(images), images, extra)
    union = crowding(flat_index(np.concatenate([images, extra])), images)
    np.testing.assert_allclose(both, union, atol=1e-6)
    assert np.all(both > FLOOR)


def test_a_small_collection_of_star_fields_keeps_copies_and_drops_most_look_alikes(star_fields):
    cnn = CNN(verbose=False)
    names, vectors = cnn.encode_matrix(star_fields)
    threshold = cnn.default_threshold
    views = cnn.view_count(vectors)

    def false_pairs(pairs) -> int:
        sides = zip(pairs.first.tolist(), pairs.second.tolist(), strict=True)
        return sum(names[a][:5] != names[b][:5] for a, b in sides)

    without = duplicate_pairs(vectors, threshold, views)
    assert false_pairs(without) > 100  # the premise: 18 images cannot normalise themselves

    found = cnn.find_duplicates(image_dir=star_fields)
    for name in names:
        if not name.endswith("_mirrored.png"):
            assert name.replace(".png", "_mirrored.png") in found[name]
    wrong = sum(other[:5] != name[:5] for name, matches in found.items() for other in matches) // 2
    assert wrong * 2 < false_pairs(without)


def test_vectors_of_another_model_get_no_background():
    cnn = CNN(verbose=False)
    assert cnn.background(np.zeros((3, 7), np.float32)) is None
    assert cnn.background(np.zeros((3, cnn.encoder.dim), np.float32)) is not None
