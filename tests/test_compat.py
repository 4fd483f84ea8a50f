"""Code written for imagededup 0.3.3 runs unchanged here and gets 0.3.3's hashes and formats.

``data/compat`` holds small hostile files (EXIF orientations, transparency, 16-bit, CMYK, 1-bit,
animations, wrong or missing extensions, broken files) and ``imagededup033_compat_hashes.json``
what 0.3.3 hashed them to (made by ``data/make_compat_cases.py``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from imagededup.methods import AHash, DHash, PHash, WHash
from imagededup.validation import FolderNotFoundError, NotAFolderError

DATA = Path(__file__).resolve().parent / "data"
CASES = DATA / "compat"
EXPECTED = json.loads((DATA / "imagededup033_compat_hashes.json").read_text())
METHODS = {"phash": PHash, "dhash": DHash, "ahash": AHash, "whash": WHash}
REFUSED_BY_033 = {"icon.ico", "targa.tga"}  # formats outside 0.3.3's list; hashed here


@pytest.mark.parametrize("method", sorted(METHODS))
def test_hostile_files_hash_as_in_imagededup_033(method):
    hasher = METHODS[method](verbose=False)
    ours = hasher.encode_images(CASES)
    expected = EXPECTED[method]
    assert {k: v for k, v in ours.items() if k not in REFUSED_BY_033} == expected
    assert set(ours) - set(expected) == REFUSED_BY_033
    # notes.txt and drawing.svg have neither an image extension nor image content: not listed
    assert set(hasher.skipped) == {"empty.jpg", "truncated.jpg"}
    for name in ("exif_6.jpg", "rgba.png", "grey16.png", "no_extension", "large.jpg"):
        assert hasher.encode_image(image_file=CASES / name) == expected[name], name


def test_opt_in_decodings_change_only_what_they_say():
    default = PHash(verbose=False).encode_images(CASES)
    upright = PHash(verbose=False, upright=True).encode_images(CASES)
    phash = PHash(verbose=False)
    for k in range(1, 9):  # the same stored pixels, displayed 8 ways
        with Image.open(CASES / f"exif_{k}.jpg") as image:
            displayed = np.asarray(ImageOps.exif_transpose(image))
        assert upright[f"exif_{k}.jpg"] == phash.encode_image(image_array=displayed), k
        assert default[f"exif_{k}.jpg"] == default["exif_1.jpg"], k
    drafted = PHash(verbose=False, draft_size=256).encode_images(CASES)
    small = [name for name in default if name != "large.jpg"]
    assert {k: drafted[k] for k in small} == {k: default[k] for k in small}


def test_removed_keywords_are_accepted_with_a_deprecation_warning():
    phash = PHash(verbose=False)
    encodings = phash.encode_images(CASES)
    expected = phash.find_duplicates(encoding_map=encodings)
    with pytest.warns(DeprecationWarning, match="search_method"):
        found = phash.find_duplicates(encoding_map=encodings, search_method="bktree")
    assert found == expected
    with pytest.warns(DeprecationWarning, match="num_dist_workers"):
        phash.find_duplicates_to_remove(encoding_map=encodings, num_dist_workers=4)
    with pytest.raises(TypeError, match="unexpected keyword argument 'serch_method'"):
        phash.find_duplicates(encoding_map=encodings, serch_method="bktree")


def test_0_3_3_warnings_for_arguments_without_effect():
    phash = PHash(verbose=False)
    encodings = {"a": "0" * 16, "b": "0" * 16}
    with pytest.warns(SyntaxWarning, match="recursive"):
        phash.find_duplicates(encoding_map=encodings, recursive=True)
    with pytest.warns(RuntimeWarning, match="num_enc_workers"):
        phash.find_duplicates(encoding_map=encodings, num_enc_workers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert phash.find_duplicates(encoding_map=encodings) == {"a": ["b"], "b": ["a"]}


@pytest.mark.parametrize("outfile", [None, False, ""])
def test_falsy_outfile_writes_nothing(outfile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    phash = PHash(verbose=False)
    phash.find_duplicates(image_dir=CASES, outfile=outfile)
    phash.find_duplicates_to_remove(image_dir=CASES, outfile=outfile)
    assert list(tmp_path.iterdir()) == []


def test_folder_errors_are_value_errors_too(tmp_path):
    phash = PHash(verbose=False)
    with pytest.raises(ValueError) as missing:
        phash.encode_images(tmp_path / "missing")
    assert isinstance(missing.value, FileNotFoundError | FolderNotFoundError)
    with pytest.raises(ValueError) as not_folder:
        phash.find_duplicates(image_dir=CASES / "exif_1.jpg")
    assert isinstance(not_folder.value, NotADirectoryError | NotAFolderError)


def test_undecodable_file_encodes_to_none_with_a_warning(caplog):
    assert PHash(verbose=False).encode_image(image_file=CASES / "truncated.jpg") is None
    assert "truncated.jpg" in caplog.text


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint16, bool])
def test_arrays_of_other_types_are_cast_as_0_3_3_did(dtype):
    with Image.open(CASES / "exif_1.jpg") as image:
        pixels = np.asarray(image)
    phash = PHash(verbose=False)
    cast = phash.encode_image(image_array=pixels.astype(dtype))
    assert cast == phash.encode_image(image_array=pixels.astype(dtype).astype(np.uint8))


def test_wrong_argument_types_are_value_errors_as_in_0_3_3(tmp_path):
    from imagededup.utils import plot_duplicates

    with pytest.raises(ValueError, match="duplicate_map"):
        plot_duplicates(CASES, [("exif_1.jpg", [])], "exif_1.jpg")
    with pytest.raises(ValueError, match="image_dir"):
        PHash(verbose=False).encode_images(None)
