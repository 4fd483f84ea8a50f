"""The SQLite embedding cache: re-runs encode nothing, changes are seen, interrupted runs resume."""

from __future__ import annotations

import os
import shutil
import sqlite3

import numpy as np
import pytest

from imagededup import store
from imagededup.methods import CNN
from imagededup.store import EmbeddingStore
from tests.conftest import EXAMPLES


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for path in sorted(EXAMPLES.glob("*.jpg")):
        shutil.copy(path, root / path.name)
    return root


def counting(cnn: CNN, fail_on_call: int | None = None) -> list[int]:
    """Count images the encoder runs on; optionally raise KeyboardInterrupt on one call."""
    seen: list[int] = []
    real = cnn.encoder.encode

    def encode(batch):
        if fail_on_call is not None and len(seen) == fail_on_call:
            raise KeyboardInterrupt
        images, _views = batch
        seen.append(len(images))
        return real(batch)

    cnn.encoder.encode = encode
    return seen


def test_rerun_on_unchanged_folder_encodes_nothing(folder, tmp_path):
    cache = tmp_path / "cache.sqlite"
    first = CNN(verbose=False, cache=cache)
    runs = counting(first)
    encodings = first.encode_images(folder)
    assert sum(runs) == len(encodings) == 11

    second = CNN(verbose=False, cache=cache)  # a new process would look the same
    runs = counting(second)
    again = second.encode_images(folder)
    assert sum(runs) == 0
    assert list(again) == list(encodings)
    for name in encodings:
        np.testing.assert_array_equal(again[name], encodings[name])
    assert second.find_duplicates(image_dir=folder) == CNN(verbose=False).find_duplicates(
        image_dir=folder
    )


def test_changed_new_and_deleted_files(folder, tmp_path):
    cnn = CNN(verbose=False, cache=tmp_path / "cache.sqlite")
    before = cnn.encode_images(folder)
    shutil.copy(folder / "rocket.jpg", folder / "coffee.jpg")  # content (and size) changes
    shutil.copy(folder / "chelsea.jpg", folder / "new.jpg")
    (folder / "astronaut.jpg").unlink()
    runs = counting(cnn)
    after = cnn.encode_images(folder)
    assert sum(runs) == 2  # coffee.jpg and new.jpg
    assert "astronaut.jpg" not in after
    np.testing.assert_allclose(after["coffee.jpg"], before["rocket.jpg"], atol=1e-6)
    assert len(cnn.store) == 11  # astronaut.jpg dropped out of the cache too


def test_same_size_rewrite_is_seen_through_mtime(folder, tmp_path):
    cnn = CNN(verbose=False, cache=tmp_path / "cache.sqlite")
    cnn.encode_images(folder)
    path = folder / "chelsea.jpg"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    runs = counting(cnn)
    cnn.encode_images(folder)
    assert sum(runs) == 1


def test_interrupted_run_resumes(folder, tmp_path):
    cache = tmp_path / "cache.sqlite"
    interrupted = CNN(batch_size=4, verbose=False, cache=cache)
    counting(interrupted, fail_on_call=2)  # two batches of 4 done, then Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        interrupted.encode_images(folder)

    resumed = CNN(batch_size=4, verbose=False, cache=cache)
    runs = counting(resumed)
    encodings = resumed.encode_images(folder)
    assert sum(runs) == 11 - 8
    assert len(encodings) == 11


def test_models_do_not_share_cache_rows(folder, tmp_path):
    from imagededup.models import OnnxModelSpec, model_spec

    cache = tmp_path / "cache.sqlite"
    CNN(verbose=False, cache=cache).encode_images(folder)
    other_size = OnnxModelSpec(**{**model_spec("sscd_distilled").__dict__, "input_size": 224})
    other = CNN(model=other_size, verbose=False, cache=cache)
    runs = counting(other)
    other.encode_images(folder)
    assert sum(runs) == 11


def test_odd_file_names_are_cached(tmp_path):
    root = tmp_path / "odd"
    root.mkdir()
    raw = os.fsencode(root) + b"/caf\xe9 \xff.jpg"
    shutil.copy(EXAMPLES / "coffee.jpg", raw)
    shutil.copy(EXAMPLES / "coffee_grey.jpg", root / "ünïcödé 🖼.jpg")
    cnn = CNN(verbose=False, cache=tmp_path / "cache.sqlite")
    assert len(cnn.encode_images(root)) == 2
    runs = counting(cnn)
    assert len(cnn.encode_images(root)) == 2
    assert sum(runs) == 0


def test_same_size_and_mtime_rewrite_is_encoded_again(folder, tmp_path):
    """``cp`` + ``touch -r``: new bytes, same size and mtime; the ctime and inode give it away."""
    cnn = CNN(verbose=False, cache=tmp_path / "cache.sqlite")
    before = cnn.encode_images(folder)
    path = folder / "chelsea.jpg"
    stat = path.stat()
    other = (folder / "rocket.jpg").read_bytes()[: stat.st_size]
    replacement = tmp_path / "replacement.jpg"
    replacement.write_bytes(other + b"\0" * (stat.st_size - len(other)))
    shutil.copy(replacement, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    runs = counting(cnn)
    after = cnn.encode_images(folder)
    assert sum(runs) == 1
    assert not np.allclose(after["chelsea.jpg"], before["chelsea.jpg"], atol=1e-3)


@pytest.fixture(scope="module")
def uncached(cnn) -> dict:
    """The vectors of the example photos, encoded without a cache."""
    return cnn.encode_images(EXAMPLES)


def encode_with_cache(cnn: CNN, cache, folder, monkeypatch) -> tuple[dict, EmbeddingStore]:
    """Encode ``folder`` with the session's model and a cache at ``cache`` (as a new run)."""
    store = EmbeddingStore(cache, cnn.encoder.model_id)
    monkeypatch.setattr(cnn, "store", store)
    found = cnn.encode_images(folder)
    store.close()
    return found, store


def assert_same_vectors(found: dict, expected: dict) -> None:
    assert sorted(found) == sorted(expected)
    for name in expected:
        np.testing.assert_allclose(found[name], expected[name], atol=1e-6)


def overwrite_pages(path, offset_from=4096) -> None:
    """Overwrite most of the file after its first page with other bytes (a disk fault)."""
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    data[offset_from:] = rng.integers(0, 256, len(data) - offset_from, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    ["overwritten pages", "truncated", "garbage", "tampered vector", "folder", "read-only"],
)
def test_damaged_or_unusable_cache_warns_once_and_never_gives_a_doubtful_vector(
    cnn, uncached, folder, tmp_path, damage, caplog, monkeypatch
):
    cache = tmp_path / "cache.sqlite"
    encode_with_cache(cnn, cache, folder, monkeypatch)
    for suffix in ("-wal", "-shm"):
        assert not (tmp_path / f"cache.sqlite{suffix}").exists()
    if damage == "overwritten pages":
        overwrite_pages(cache)
    elif damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:5000])
    elif damage == "garbage":
        cache.write_bytes(b"not a database at all" * 100)
    elif damage == "tampered vector":
        with sqlite3.connect(cache) as db:
            db.execute("UPDATE vectors SET vector = zeroblob(length(vector))")
    elif damage == "folder":
        cache.unlink()
        cache.mkdir()
    elif damage == "read-only":
        cache.chmod(0o444)
        tmp_path.chmod(0o555)
    caplog.clear()
    try:
        found, _ = encode_with_cache(cnn, cache, folder, monkeypatch)
    finally:
        tmp_path.chmod(0o755)
    assert_same_vectors(found, uncached)
    warnings = [r for r in caplog.records if "embedding cache" in r.getMessage()]
    if damage != "read-only" or os.geteuid() != 0:  # root writes through the mode bits
        assert len(warnings) == 1, [r.getMessage() for r in caplog.records]


def test_locked_cache_steps_aside_after_its_timeout(
    cnn, uncached, folder, tmp_path, monkeypatch, caplog
):
    cache = tmp_path / "cache.sqlite"
    EmbeddingStore(cache, cnn.encoder.model_id).close()
    monkeypatch.setattr(store, "_LOCK_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(cache)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        found, used = encode_with_cache(cnn, cache, folder, monkeypatch)
    finally:
        holder.rollback()
        holder.close()
    assert not used.active
    assert_same_vectors(found, uncached)
    assert sum("embedding cache" in r.getMessage() for r in caplog.records) == 1
