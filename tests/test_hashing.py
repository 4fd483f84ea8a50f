"""Hash methods end to end on real photos and transformed copies of them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from imagededup.methods import AHash, DHash, PDQHash, PHash, WHash
from tests.conftest import EXAMPLES, ORIGINALS, original

METHODS = [PHash, DHash, AHash, WHash, PDQHash]
# Copies that every hash finds at its default threshold; crops are found by some hashes only,
# mirror images by none (without dihedral=True).
FOUND_BY_ALL = ("q30", "half", "bright", "grey")


@pytest.fixture(scope="module", params=METHODS, ids=lambda cls: cls.__name__)
def method(request):
    return request.param(verbose=False)


@pytest.fixture(scope="module")
def encodings(method, photo_dir):
    return method.encode_images(photo_dir)


def test_copies_found_and_distinct_photos_kept_apart(method, encodings, expected_groups):
    duplicates = method.find_duplicates(encoding_map=encodings)
    assert set(duplicates) == set(expected_groups)
    for name, found in duplicates.items():
        assert set(found) <= expected_groups[name], name
    for name in ORIGINALS[:3]:
        copies = {f"{name}_{label}.jpg" for label in FOUND_BY_ALL}
        assert copies <= set(duplicates[f"{name}.jpg"]), name


def test_distances_are_ints_sorted_symmetric_and_within_threshold(method, encodings):
    duplicates = method.find_duplicates(encoding_map=encodings, scores=True)
    for name, found in duplicates.items():
        assert found == sorted(found, key=lambda item: (item[1], item[0]))
        for other, distance in found:
            assert type(distance) is int
            assert 0 <= distance <= method.default_threshold
            assert distance == method.hamming_distance(encodings[name], encodings[other])
            assert (name, distance) in duplicates[other]


def test_folder_and_json_encoding_map_give_the_same_result(method, encodings, photo_dir, tmp_path):
    assert all(len(h) == method.bits // 4 for h in encodings.values())
    path = tmp_path / "hashes.json"
    path.write_text(json.dumps(encodings))
    loaded = json.loads(path.read_text())
    from_folder = method.find_duplicates(image_dir=photo_dir, scores=True)
    assert method.find_duplicates(encoding_map=loaded, scores=True) == from_folder


def test_outfile_and_files_to_remove(method, encodings, expected_groups, tmp_path):
    outfile = tmp_path / "dups.json"
    duplicates = method.find_duplicates(encoding_map=encodings, scores=True, outfile=outfile)
    assert json.loads(outfile.read_text()) == {
        k: [[name, d] for name, d in v] for k, v in duplicates.items()
    }
    to_remove = method.find_duplicates_to_remove(encoding_map=encodings, outfile=outfile)
    assert json.loads(outfile.read_text()) == to_remove
    kept = set(expected_groups) - set(to_remove)
    for name in ORIGINALS:
        assert f"{name}.jpg" in kept  # the first file of each group in name order


def test_encode_image_from_file_and_array_agree(method):
    for name in ("coffee", "coffee_grey"):
        from_file = method.encode_image(image_file=EXAMPLES / f"{name}.jpg")
        with Image.open(EXAMPLES / f"{name}.jpg") as im:
            assert method.encode_image(image_array=np.asarray(im)) == from_file


def test_dihedral_finds_flipped_and_rotated_copies_plain_hash_misses(tmp_path):
    shutil.copy(EXAMPLES / "chelsea.jpg", tmp_path / "chelsea.jpg")
    shutil.copy(EXAMPLES / "rocket.jpg", tmp_path / "rocket.jpg")
    im = original("chelsea")
    copies = {
        "chelsea_mirror.jpg": Image.Transpose.FLIP_LEFT_RIGHT,
        "chelsea_upside_down.jpg": Image.Transpose.FLIP_TOP_BOTTOM,
        "chelsea_rot90.jpg": Image.Transpose.ROTATE_90,
        "chelsea_rot270.jpg": Image.Transpose.ROTATE_270,
        "chelsea_transposed.jpg": Image.Transpose.TRANSPOSE,
    }
    for name, transpose in copies.items():
        im.transpose(transpose).save(tmp_path / name, quality=90)
    for cls in METHODS:
        hasher = cls(verbose=False)
        plain = hasher.find_duplicates(image_dir=tmp_path)
        assert not set(copies) & set(plain["chelsea.jpg"]), cls.__name__
        turned = hasher.find_duplicates(image_dir=tmp_path, dihedral=True, scores=True)
        assert {name for name, _ in turned["chelsea.jpg"]} >= set(copies), cls.__name__
        assert turned["rocket.jpg"] == [], cls.__name__
        for name, found in turned.items():  # still symmetric, sorted, one entry per pair
            assert found == sorted(set(found), key=lambda item: (item[1], item[0]))
            assert all((name, d) in turned[other] for other, d in found)
    to_remove = PHash(verbose=False).find_duplicates_to_remove(image_dir=tmp_path, dihedral=True)
    assert sorted(to_remove) == sorted(copies)


def test_dihedral_needs_the_pixels(encodings):
    with pytest.raises(ValueError, match="dihedral=True needs image_dir"):
        PHash().find_duplicates(encoding_map=encodings, dihedral=True)


@pytest.mark.parametrize(
    ("cls", "threshold", "error"),
    [
        (PHash, True, TypeError),
        (PHash, 10.0, TypeError),
        (PHash, "10", TypeError),
        (PHash, -1, ValueError),
        (PHash, 65, ValueError),
        (PDQHash, 257, ValueError),
    ],
)
def test_invalid_thresholds_are_rejected(cls, threshold, error):
    with pytest.raises(error, match="max_distance_threshold"):
        cls().find_duplicates(encoding_map={}, max_distance_threshold=threshold)


def test_threshold_bounds_are_inclusive(photo_dir):
    hasher = PHash(verbose=False)
    encodings = hasher.encode_images(photo_dir)
    everything = hasher.find_duplicates(encoding_map=encodings, max_distance_threshold=64)
    assert all(len(found) == len(encodings) - 1 for found in everything.values())
    exact = hasher.find_duplicates(encoding_map=encodings, max_distance_threshold=np.int64(0))
    for name, found in exact.items():
        assert all(encodings[other] == encodings[name] for other in found)
    assert PDQHash().find_duplicates(encoding_map={}, max_distance_threshold=256) == {}


@pytest.mark.parametrize(
    ("encoding_map", "error", "message"),
    [
        ({"a.jpg": "c2924c5d32bddfc"}, ValueError, "64-bit hash of 16 hex digits for 'a.jpg'"),
        ({"a.jpg": "c2924c5d32bddfcz"}, ValueError, "hex digits"),
        ({"a.jpg": 123}, ValueError, "hex digits"),
        ([("a.jpg", "c2924c5d32bddfc8")], TypeError, "dict"),
    ],
)
def test_bad_encoding_maps_are_rejected(encoding_map, error, message):
    with pytest.raises(error, match=message):
        PHash().find_duplicates(encoding_map=encoding_map)


def test_one_source_and_one_image():
    with pytest.raises(ValueError, match="exactly one"):
        PHash().find_duplicates()
    with pytest.raises(ValueError, match="exactly one"):
        PHash().encode_image()
    with pytest.raises(ValueError, match="not a file"):
        PHash().encode_image(image_file=EXAMPLES / "missing.jpg")


def test_hamming_distance():
    assert PHash.hamming_distance("ff00", "0f01") == 5
    assert PDQHash.hamming_distance("0" * 64, "f" * 64) == 256
    with pytest.raises(ValueError, match="differ in length"):
        PHash.hamming_distance("ff", "fff")
    with pytest.raises(ValueError, match="hex digits"):
        PHash.hamming_distance("0x12", "0012")


def test_undecodable_files_are_skipped_with_a_reason(tmp_path):
    shutil.copy(EXAMPLES / "chelsea.jpg", tmp_path / "chelsea.jpg")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "cut.jpg").write_bytes((EXAMPLES / "rocket.jpg").read_bytes()[:2000])
    hasher = DHash(verbose=False)
    assert list(hasher.encode_images(tmp_path)) == ["chelsea.jpg"]
    assert set(hasher.skipped) == {"empty.jpg", "cut.jpg"}
    assert hasher.skipped["empty.jpg"] == "empty file"
    assert hasher.find_duplicates(image_dir=tmp_path) == {"chelsea.jpg": []}


def test_empty_folder_and_empty_map(tmp_path):
    assert PHash().find_duplicates(image_dir=tmp_path) == {}
    assert PHash().find_duplicates(image_dir=tmp_path, dihedral=True) == {}
    assert PHash().find_duplicates_to_remove(encoding_map={}) == []


def test_draft_size_is_validated():
    with pytest.raises(ValueError, match="draft_size"):
        PHash(draft_size=0)
    assert PHash(draft_size=None).draft_size is None
