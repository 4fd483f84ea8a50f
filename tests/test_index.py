"""The reference index: incremental adds, searches against a collection, save/load, ANN recall."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from PIL import ImageOps

from imagededup.index import Index
from imagededup.methods import CNN
from imagededup.search import approximate_similar_pairs, similar_pairs
from imagededup.vectors import normalize
from tests.conftest import EXAMPLES
from tests.test_verify import arrow


@pytest.fixture
def collection(tmp_path):
    root = tmp_path / "collection"
    root.mkdir()
    for name in ("astronaut", "chelsea", "coffee"):
        shutil.copy(EXAMPLES / f"{name}.jpg", root / f"{name}.jpg")
    return root


@pytest.fixture
def incoming(tmp_path):
    root = tmp_path / "incoming"
    root.mkdir()
    for name in ("chelsea_small", "coffee_grey", "rocket", "hubble_deep_field"):
        shutil.copy(EXAMPLES / f"{name}.jpg", root / f"{name}.jpg")
    return root


EXPECTED = {
    "chelsea_small.jpg": ["chelsea.jpg"],
    "coffee_grey.jpg": ["coffee.jpg"],
    "hubble_deep_field.jpg": [],
    "rocket.jpg": [],
}


def test_search_new_images_against_a_collection(cnn, collection, incoming):
    index = Index(cnn).add(image_dir=collection)
    assert len(index) == 3
    assert index.search(image_dir=incoming) == EXPECTED
    assert cnn.find_duplicates(image_dir=incoming, against=collection) == EXPECTED
    assert cnn.find_duplicates(image_dir=incoming, against=index) == EXPECTED
    scored = index.search(image_dir=incoming, scores=True)
    assert scored["chelsea_small.jpg"][0][1] > cnn.default_threshold


def test_save_load_and_add_more(cnn, collection, incoming, tmp_path):
    Index(cnn).add(image_dir=collection).save(tmp_path / "ref.npz")
    loaded = Index.load(tmp_path / "ref.npz", cnn)
    assert loaded.search(image_dir=incoming) == EXPECTED
    shutil.copy(EXAMPLES / "rocket.jpg", tmp_path / "rocket_ref.jpg")
    loaded.add(encoding_map={"rocket_ref.jpg": cnn.encode_image(tmp_path / "rocket_ref.jpg")})
    assert loaded.search(image_dir=incoming)["rocket.jpg"] == ["rocket_ref.jpg"]
    assert len(loaded) == 4


def test_adding_a_name_again_replaces_its_vector(cnn):
    a, b = normalize(np.eye(2, 8, dtype=np.float32))
    index = Index(cnn).add(encoding_map={"x": a})
    index.add(encoding_map={"x": b})
    assert len(index) == 1
    assert index.search(encoding_map={"q": b}, min_similarity_threshold=0.9) == {"q": ["x"]}


def test_load_refuses_another_model(cnn, collection, tmp_path):
    Index(cnn).add(image_dir=collection).save(tmp_path / "ref.npz")
    from imagededup.models import OnnxModelSpec, model_spec

    other = CNN(
        model=OnnxModelSpec(**{**model_spec("sscd_distilled").__dict__, "input_size": 224}),
        verbose=False,
    )
    with pytest.raises(ValueError, match="built with model"):
        Index.load(tmp_path / "ref.npz", other)


def test_empty_index_and_empty_query(cnn):
    index = Index(cnn)
    assert index.search(encoding_map={"q": [1.0, 0.0]}) == {"q": []}
    index.add(encoding_map={"x": [1.0, 0.0]})
    assert index.search(encoding_map={}) == {}


def planted(count: int, seed: int = 0) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Clustered unit vectors with a planted near-duplicate (similarity 0.75-0.98) per tenth."""
    rng = np.random.default_rng(seed)
    dim, dups = 64, count // 10
    centers = normalize(rng.standard_normal((count // 50, dim)))
    base = normalize(
        0.6 * centers[rng.integers(0, len(centers), count - dups)]
        + 0.8 * normalize(rng.standard_normal((count - dups, dim)))
    )
    source = rng.choice(len(base), dups, replace=False)
    noise = rng.standard_normal((dups, dim))
    noise = normalize(noise - (noise * base[source]).sum(1, keepdims=True) * base[source])
    cos = rng.uniform(0.75, 0.98, (dups, 1))
    copies = normalize(cos * base[source] + np.sqrt(1 - cos**2) * noise)
    pairs = {(int(s), len(base) + k) for k, s in enumerate(source)}
    return np.concatenate([base, copies]), pairs


def test_approximate_search_recall_against_exact():
    vectors, truth = planted(20_000)
    exact = similar_pairs(vectors, 0.73)
    approx = approximate_similar_pairs(vectors, 0.73)
    exact_set = set(zip(exact.first.tolist(), exact.second.tolist(), strict=True))
    approx_set = set(zip(approx.first.tolist(), approx.second.tolist(), strict=True))
    assert truth <= exact_set
    assert approx_set <= exact_set
    assert len(approx_set & exact_set) >= 0.99 * len(exact_set)


def test_index_forced_approximate_gives_same_small_result(cnn, collection, incoming):
    index = Index(cnn, approximate=True).add(image_dir=collection)
    assert index.search(image_dir=incoming) == EXPECTED


@pytest.fixture
def drawings(tmp_path):
    """A reference arrow and, to search, the same arrow at another size and its mirror image."""
    reference, new = tmp_path / "reference", tmp_path / "new"
    reference.mkdir()
    new.mkdir()
    arrow(128, (200, 40, 40)).save(reference / "arrow.png")
    arrow(32, (200, 40, 40)).save(new / "arrow32.png")
    ImageOps.mirror(arrow(128, (200, 40, 40))).save(new / "mirror.png")
    return reference, new


def test_an_index_checks_its_matches_by_their_pixels_after_saving_too(cnn, drawings, tmp_path):
    """The CNN matches an arrow with its mirror image; as in a search of one collection, the
    graphics check drops that match and keeps the arrow at another size."""
    reference, new = drawings
    raw = cnn.encode_images(reference)["arrow.png"] @ cnn.encode_images(new)["mirror.png"]
    assert raw > 0.3  # the CNN alone would match the mirror image at this threshold
    expected = {"arrow32.png": ["arrow.png"], "mirror.png": []}
    index = Index(cnn).add(image_dir=reference)
    assert index.search(image_dir=new, min_similarity_threshold=0.3) == expected
    index.save(tmp_path / "ref.npz")
    loaded = Index.load(tmp_path / "ref.npz", cnn)
    assert loaded.search(image_dir=new, min_similarity_threshold=0.3) == expected
    mapped = Index(cnn).add(encoding_map=cnn.encode_images(reference))  # files remembered
    assert mapped.search(encoding_map=cnn.encode_images(new), min_similarity_threshold=0.3) == (
        expected
    )


def rewritten(path, **changes):
    """``path`` (a saved index) with some of its arrays replaced (None: removed)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data}
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = np.array(value)
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    return path


def test_an_index_without_files_is_searched_unchecked(cnn, drawings, tmp_path):
    """A version 1 index (no files), or one whose files are gone or are not regular files (a
    FIFO would block a read), keeps the CNN's matches instead of failing or hanging."""
    reference, new = drawings
    saved = Index(cnn).add(image_dir=reference).save(tmp_path / "ref.npz")
    old = rewritten(saved, paths=None, meta=json.dumps({"format": 1, "model": cnn.model_id}))
    unchecked = {"arrow32.png": ["arrow.png"], "mirror.png": ["arrow.png"]}
    assert Index.load(old, cnn).search(image_dir=new, min_similarity_threshold=0.3) == unchecked
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    crafted = Index(cnn).add(image_dir=reference).save(tmp_path / "crafted.npz")
    rewritten(crafted, paths=json.dumps([str(fifo)]))
    found = Index.load(crafted, cnn).search(image_dir=new, min_similarity_threshold=0.3)
    assert found == unchecked


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"paths": json.dumps([])}, "file list does not match"),
        ({"paths": json.dumps([1, 2, 3])}, "something other than paths"),
        ({"paths": json.dumps({"a": 1})}, "file list does not match"),
        ({"paths": "[not json"}, "not an index"),
        ({"names": json.dumps(["a.jpg"])}, "vectors for 1 names"),
        ({"names": json.dumps([1, 2, 3])}, "names are not"),
        ({"meta": json.dumps([1])}, "index format"),
        ({"meta": None}, "not an index"),
    ],
)
def test_a_crafted_index_file_is_refused_with_its_reason(
    cnn, collection, tmp_path, changes, message
):
    saved = Index(cnn).add(image_dir=collection).save(tmp_path / "ref.npz")
    with pytest.raises(ValueError, match=message):
        Index.load(rewritten(saved, **changes), cnn)


def test_strong_copies_under_the_threshold_are_matched_and_look_alikes_refuted(
    cnn, star_fields, tmp_path
):
    # As a search of one collection keeps them (search.geometry): crop-rotated copies that
    # score under the threshold are matched on their keypoints, and look-alike patches of one
    # star field that score over it are refuted by theirs.
    from tests.test_geometry import PHOTOS, crop_rotated

    collection, queries = tmp_path / "collection", tmp_path / "queries"
    shutil.copytree(star_fields, collection, ignore=shutil.ignore_patterns("*_mirrored.png"))
    shutil.copytree(star_fields, queries, ignore=shutil.ignore_patterns("sky??.png"))
    for name in PHOTOS:
        shutil.copy(EXAMPLES / f"{name}.jpg", collection)
        crop_rotated(name).save(queries / f"{name}_turned.jpg", quality=90)
    found = Index(cnn).add(image_dir=collection).search(image_dir=queries, scores=True)
    matches = {query: [name for name, _ in pairs] for query, pairs in found.items() if pairs}
    expected = {f"{name}_turned.jpg": [f"{name}.jpg"] for name in PHOTOS}
    expected |= {f"sky{ij}_mirrored.png": [f"sky{ij}.png"] for ij in ("00", "01", "02", "10")}
    assert {query: matches.get(query) for query in expected} == expected
    turned = [score for name in PHOTOS for _, score in found[f"{name}_turned.jpg"]]
    assert max(turned) < cnn.default_threshold  # the score alone misses them

    def original(name: str) -> str:
        return name.split("_")[0].split(".")[0]

    wrong = [(q, m) for q, names in matches.items() for m in names if original(q) != original(m)]
    assert not wrong  # no two patches of the star field
