"""The Ray backend on a local 2-CPU Ray instance: same vectors and duplicates as one machine."""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import pytest

pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[test,distributed]'")
import pyarrow.parquet as pq
import ray

from imagededup.cli import main
from imagededup.distributed import encode_dataset, find_duplicates_from_parquet, shards

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


def test_cli_ray_prints_the_same_groups(photo_dir, tmp_path, capsys):
    assert main(["find", str(photo_dir), "--quiet"]) == 0
    expected = capsys.readouterr().out
    args = ["find", str(photo_dir), "--quiet", "--ray", "--ray-output", str(tmp_path / "out")]
    assert main(args) == 0
    assert capsys.readouterr().out == expected
    assert main(args) == 0  # reuses the shards
    assert capsys.readouterr().out == expected
