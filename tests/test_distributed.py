"""The Ray backend on a local 2-CPU Ray instance: same vectors and duplicates as one machine."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil

import numpy as np
import pytest

pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[test,distributed]'")
import pyarrow.parquet as pq
import ray

from imagededup.cli import main
from imagededup.distributed import (
    encode_dataset,
    find_duplicates_from_parquet,
    find_duplicates_on_ray,
    finder,
    ray_search,
    read_pairs,
    shards,
)
from imagededup.search import partitions
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.distributed
ODD_NAME = b"caf\xe9 \xff.jpg"  # not UTF-8: stored as bytes, keys as os.fsdecode gives them
BAD_FILES = {"broken.jpg": b"\xff\xd8\xff\xe0 not a jpeg", "empty.png": b""}


@pytest.fixture(scope="session", autouse=True)
def local_ray():
    """One local Ray instance for the whole session: starting Ray takes seconds."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="session")
def folder(photo_dir, tmp_path_factory):
    """The test photos in two folders, one with an odd file name, and two files that fail."""
    root = tmp_path_factory.mktemp("collection")
    shutil.copytree(photo_dir, root / "photos")
    (root / "photos" / "more").mkdir()
    for path in sorted((root / "photos").glob("coffee*.jpg")):
        path.rename(root / "photos" / "more" / path.name)
    shutil.copy(photo_dir / "rocket.jpg", os.fsencode(root / "photos") + b"/" + ODD_NAME)
    for name, data in BAD_FILES.items():
        (root / "photos" / name).write_bytes(data)
    return root / "photos"


@pytest.fixture(scope="session")
def single(cnn, folder):
    """The single-machine vectors of ``folder`` and the files it skipped, by absolute path."""
    vectors = cnn.encode_images(folder, recursive=True)
    skipped = {str(folder / name): reason for name, reason in cnn.skipped.items()}
    return {str(folder / name): vector for name, vector in vectors.items()}, skipped


@pytest.fixture(scope="session")
def encoded(folder, tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("encoded")
    return encode_dataset(folder, output_dir, batch_size=8)


def test_a_smooth_photo_inside_a_screenshot_is_found_on_every_distributed_path(
    viewer, cnn, tmp_path, capsys, monkeypatch
):
    encoded = encode_dataset(viewer, tmp_path / "encoded", batch_size=8)
    found = find_duplicates_from_parquet(encoded.output_dir, root=viewer)
    assert found == cnn.find_duplicates(image_dir=viewer)  # windows, as one process looks
    assert found["chelsea.jpg"] == ["chelsea_screenshot.png"]
    assert main(["find", str(viewer), "--quiet"]) == 0
    one_machine = capsys.readouterr().out
    assert "chelsea_screenshot.png" in one_machine
    monkeypatch.setattr(finder, "RAY_SEARCH_MIN_FILES", 1)  # the search itself on Ray
    args = ["find", str(viewer), "--quiet", "--ray", "--ray-output", str(tmp_path / "out")]
    assert main(args) == 0
    assert_same_report(capsys.readouterr().out, one_machine)


def test_shards_hold_good_images_with_single_machine_vectors(encoded, single, cnn):
    single, skipped = single
    assert encoded.encoded == len(single) == 24 and encoded.reused == 0
    assert encoded.skipped == skipped and len(skipped) == len(BAD_FILES)
    rows = pq.read_table(shards.shard_files(encoded.output_dir)).to_pylist()
    assert len(rows) == len(single) + len(BAD_FILES)
    for row in rows:
        path = os.fsdecode(row["path"])
        stat = os.stat(row["path"])
        assert (row["size"], row["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns)
        assert row["model_id"] == cnn.encoder.model_id
        if os.path.basename(path) in BAD_FILES:
            assert row["embedding"] is None and row["error"]
        else:
            assert row["error"] is None
            np.testing.assert_allclose(row["embedding"], single[path], atol=1e-5)
    assert sorted(encoded.files) == sorted(single)


def test_duplicate_map_equals_single_machine(encoded, folder, cnn, tmp_path):
    expected = cnn.find_duplicates(image_dir=folder, recursive=True, scores=True)
    outfile = tmp_path / "dups.json"
    found = find_duplicates_from_parquet(
        encoded.output_dir, root=folder, scores=True, outfile=outfile
    )
    assert list(found) == list(expected)
    for name, matches in expected.items():
        assert [m for m, _ in found[name]] == [m for m, _ in matches], name
        np.testing.assert_allclose([s for _, s in found[name]], [s for _, s in matches], atol=1e-5)
    assert outfile.exists()
    by_path = find_duplicates_from_parquet(encoded.output_dir, approximate=True)
    plain = cnn.find_duplicates(image_dir=folder, recursive=True)
    assert by_path == {
        str(folder / name): [str(folder / other) for other in found]
        for name, found in plain.items()
    }


def test_resume_encodes_only_new_and_changed_files(folder, single, tmp_path):
    single, _ = single
    output_dir = tmp_path / "out"
    paths = sorted(single)
    first = encode_dataset(paths[:10], output_dir, batch_size=8)
    assert (first.encoded, first.reused) == (10, 0)
    crashed = output_dir / "run-29990101T000000000000Z"  # a run killed while writing
    crashed.mkdir()
    (crashed / "part.parquet").write_bytes(b"PAR1 truncated")

    second = encode_dataset(folder, output_dir, batch_size=8)
    assert (second.encoded, second.reused) == (len(single) - 10, 10)
    assert len(second.skipped) == len(BAD_FILES)  # failures are tried again, cheaply

    changed = paths[3]
    stat = os.stat(changed)
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    third = encode_dataset(folder, output_dir, batch_size=8)
    assert (third.encoded, third.reused) == (1, len(single) - 1)
    found = find_duplicates_from_parquet(output_dir)
    assert sorted(found) == paths  # one entry per file although it has rows in two runs


def test_files_limits_the_search_and_other_models_are_refused(encoded, single, folder):
    some = sorted(single[0])[:5]
    assert sorted(find_duplicates_from_parquet(encoded.output_dir, files=some)) == some
    with pytest.raises(ValueError, match="one output_dir per model"):
        encode_dataset(folder, encoded.output_dir, model="sscd")


NUMBER = re.compile(r"\d+\.\d+")


def assert_same_report(found: str, expected: str) -> None:
    """The same printed groups, scores alike to their last printed digit: Ray embeds images
    in other batches than one machine, and onnxruntime's sums can differ in their last bits."""
    assert NUMBER.split(found) == NUMBER.split(expected)
    numbers = [[float(x) for x in NUMBER.findall(text)] for text in (found, expected)]
    np.testing.assert_allclose(numbers[0], numbers[1], rtol=0, atol=0.0011)


@pytest.mark.parametrize("search_on_ray", [False, True])
def test_cli_ray_prints_the_same_groups(photo_dir, tmp_path, capsys, monkeypatch, search_on_ray):
    assert main(["find", str(photo_dir), "--quiet"]) == 0
    expected = capsys.readouterr().out
    if search_on_ray:
        monkeypatch.setattr(finder, "RAY_SEARCH_MIN_FILES", 1)
    args = ["find", str(photo_dir), "--quiet", "--ray", "--ray-output", str(tmp_path / "out")]
    assert main(args) == 0
    assert_same_report(capsys.readouterr().out, expected)
    assert (tmp_path / "out" / finder.SEARCH_DIR).exists() == search_on_ray
    assert main(args) == 0  # reuses the shards (and the search)
    assert_same_report(capsys.readouterr().out, expected)


def test_graphics_are_checked_and_copies_joined_on_every_distributed_path(
    photo_dir, tmp_path, capsys, monkeypatch, cnn
):
    # An arrow, its mirror image and the same arrow smaller, among the test photos: at a low
    # threshold the CNN matches the mirror image, which the pixel checks of search.refine drop.
    from tests.test_verify import arrow

    folder = tmp_path / "drawings"
    shutil.copytree(photo_dir, folder)
    arrow(128, (200, 40, 40)).save(folder / "arrow128.png")
    arrow(48, (200, 40, 40)).save(folder / "arrow48.png")
    arrow(128, (200, 40, 40)).transpose(0).save(folder / "mirror128.png")
    expected = cnn.find_duplicates(image_dir=folder, min_similarity_threshold=0.3)
    assert "arrow48.png" in expected["arrow128.png"]
    assert "mirror128.png" not in expected["arrow128.png"]
    output = tmp_path / "out"
    encode_dataset(folder, output, batch_size=8)
    found = find_duplicates_from_parquet(output, 0.3, root=folder)
    assert found == expected
    assert main(["find", str(folder), "--quiet", "--threshold", "0.3"]) == 0
    one_machine = capsys.readouterr().out
    assert "arrow48.png" in one_machine and "mirror128" not in one_machine
    args = ["find", str(folder), "--quiet", "--threshold", "0.3", "--ray", "--ray-output"]
    for search_on_ray in (False, True):  # vectors read back and searched here, or on Ray
        if search_on_ray:
            monkeypatch.setattr(finder, "RAY_SEARCH_MIN_FILES", 1)
        assert main([*args, str(output)]) == 0
        assert_same_report(capsys.readouterr().out, one_machine)
    # at 0.9 the arrow and its smaller copy (0.85) are a pair only below the threshold, which
    # the Ray search never keeps: the graphics' own vectors are searched again in the driver
    strict = ["find", str(folder), "--quiet", "--threshold", "0.9"]
    assert main(strict) == 0
    one_machine = capsys.readouterr().out
    assert "arrow48.png" in one_machine and "0.85" in one_machine
    assert main([*strict, "--ray", "--ray-output", str(output)]) == 0
    assert_same_report(capsys.readouterr().out, one_machine)


def test_photos_are_rescued_and_refuted_on_the_ray_search_as_on_one_machine(
    star_fields, tmp_path, capsys, monkeypatch
):
    # Crop-rotated copies score under the threshold, and look-alike patches of one star field
    # over it: their keypoints keep the first and drop the second, which needs the pairs under
    # the threshold from the Ray search too.
    from tests.test_geometry import PHOTOS, crop_rotated

    folder = tmp_path / "photos"
    shutil.copytree(star_fields, folder)
    for name in PHOTOS:
        shutil.copy(EXAMPLES / f"{name}.jpg", folder)
        crop_rotated(name).save(folder / f"{name}_turned.jpg", quality=90)
    assert main(["find", str(folder), "--quiet"]) == 0
    one_machine = capsys.readouterr().out
    assert all(f"{name}_turned.jpg" in one_machine for name in PHOTOS)
    monkeypatch.setattr(finder, "RAY_SEARCH_MIN_FILES", 1)
    args = ["find", str(folder), "--quiet", "--ray", "--ray-output", str(tmp_path / "out")]
    assert main(args) == 0
    assert_same_report(capsys.readouterr().out, one_machine)


def test_output_folder_is_one_parquet_dataset(encoded, tmp_path):
    rows = len(encoded.files) + len(BAD_FILES)
    assert pq.read_table(encoded.output_dir).num_rows == rows
    assert ray.data.read_parquet(str(encoded.output_dir)).count() == rows
    pandas = pytest.importorskip("pandas")
    assert len(pandas.read_parquet(encoded.output_dir)) == rows


def test_folders_with_the_old_manifest_name_still_work(encoded, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(encoded.output_dir, old)
    (old / shards.MANIFEST).rename(old / shards.OLD_MANIFEST)
    manifest = shards.read_manifest(old)
    assert manifest == shards.read_manifest(encoded.output_dir)
    assert find_duplicates_from_parquet(old) == find_duplicates_from_parquet(encoded.output_dir)
    # the next encode_dataset claims the folder again and renames the manifest
    shards.claim(old, manifest["model_id"], manifest["default_threshold"], manifest["view_count"])
    assert (old / shards.MANIFEST).is_file() and not (old / shards.OLD_MANIFEST).exists()
    assert pq.read_table(old).num_rows == len(encoded.files) + len(BAD_FILES)


def test_ray_search_gives_the_single_machine_pairs(encoded, tmp_path):
    summary = find_duplicates_on_ray(encoded.output_dir, tmp_path / "pairs")
    expected = find_duplicates_from_parquet(encoded.output_dir, scores=True)
    first, second, scores = read_pairs(tmp_path / "pairs")
    found = {(a, b): score for a, b, score in zip(first, second, scores, strict=True)}
    wanted = {(a, b): s for a, matches in expected.items() for b, s in matches if a < b}
    assert set(found) == set(wanted) and len(found) == summary.pairs > 10
    np.testing.assert_allclose([found[k] for k in wanted], list(wanted.values()), atol=1e-5)
    assert summary.files == len(encoded.files) and summary.lists == 1
    table = pq.read_table(tmp_path / "pairs")  # any Parquet reader opens the result folder
    assert table.column_names == ["first", "second", "score"] and table.num_rows == len(found)


def planted_vectors(count: int, seed: int = 0) -> tuple[list[str], np.ndarray, set]:
    """Random 512-d unit vectors (unrelated: similarity ~0 +- 0.15), the last tenth near-copies
    of others with similarities spread over 0.75-0.98; their paths and the planted pairs."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, 512), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    copies = count // 10
    originals = rng.choice(count - copies, copies, replace=False)
    similarity = rng.uniform(0.75, 0.98, copies).astype(np.float32)[:, None]
    noise = vectors[count - copies :]
    noise -= (noise * vectors[originals]).sum(1, keepdims=True) * vectors[originals]
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    vectors[count - copies :] = similarity * vectors[originals] + np.sqrt(1 - similarity**2) * noise
    paths = [f"/synthetic/{i:06d}.jpg" for i in range(count)]
    copied = range(count - copies, count)
    planted = {(paths[a], paths[b]) for a, b in zip(originals, copied, strict=True)}
    return paths, vectors, planted


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """40,000 synthetic vectors in shards."""
    paths, vectors, planted = planted_vectors(40_000)
    source = tmp_path_factory.mktemp("synthetic")
    shards.write_vectors(source, paths, vectors, "synthetic", 0.73)
    return source, planted


def test_planted_pairs_are_found_across_list_borders(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(partitions, "PARTITION_ROWS", 1_000)  # lists of about 1,000 vectors
    source, planted = synthetic
    summary = find_duplicates_on_ray(source, tmp_path / "pairs", num_workers=2)
    first, second, _ = read_pairs(tmp_path / "pairs")
    found = set(zip(first, second, strict=True))
    assert summary.lists == 40 and summary.pairs == len(found)
    assert found <= planted  # no false pair
    centroids = np.load(tmp_path / "pairs" / ray_search.LISTS)
    paths, vectors = shards.read_embeddings(source)
    home = dict(zip(paths, np.argmax(vectors @ centroids.T, axis=1), strict=True))
    across = {(a, b) for a, b in planted if home[a] != home[b]}
    assert len(across) > len(planted) / 5  # many pairs straddle a list border
    assert len(found & planted) >= 0.99 * len(planted)
    assert len(found & across) >= 0.99 * len(across)
    # what one list's search adds to its worker is a fraction of all the vectors
    assert 0 < summary.task_mib < summary.vectors_mib


def test_a_killed_search_resumes_from_the_lists_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(partitions, "PARTITION_ROWS", 1_000)
    paths, vectors, _ = planted_vectors(5_000)
    source, output = tmp_path / "vectors", tmp_path / "pairs"
    shards.write_vectors(source, paths, vectors, "synthetic", 0.73, rows_per_shard=1_000)
    whole = find_duplicates_on_ray(source, output)
    expected = pq.read_table(output / ray_search.RESULT)
    state = json.loads((output / ray_search.STATE).read_text())
    del state["summary"]  # as if killed after writing every list but two
    (output / ray_search.STATE).write_text(json.dumps(state))
    for name in ("pairs-000001", "pairs-000003"):
        (output / ray_search.PARTS / f"{name}.parquet").unlink()
    (output / ray_search.RESULT).unlink()
    resumed = find_duplicates_on_ray(source, output)
    assert (resumed.lists, resumed.searched, resumed.pairs) == (whole.lists, 2, whole.pairs)
    again = pq.read_table(output / ray_search.RESULT)
    for column in ("first", "second"):
        assert again[column].equals(expected[column])
    np.testing.assert_allclose(again["score"], expected["score"], atol=1e-6)  # rows came in
    # another order, so BLAS summed them in another order
    assert find_duplicates_on_ray(source, output).searched == 0  # complete: nothing to do
    other = find_duplicates_on_ray(source, output, min_similarity_threshold=0.9)
    assert other.searched == other.lists and other.pairs < whole.pairs  # starts over
    with pytest.raises(ValueError, match="not a search output"):
        find_duplicates_on_ray(source, source)
    nothing = find_duplicates_on_ray(source, tmp_path / "none", files=[])
    assert (nothing.files, nothing.pairs, pq.read_table(tmp_path / "none").num_rows) == (0, 0, 0)
