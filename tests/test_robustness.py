"""A hostile folder: every method gives results for the good files and a reason for each bad."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

import imagededup.images.discover as discover
from imagededup.methods import CNN
from imagededup.results import save_json
from tests.conftest import EXAMPLES, original

GOOD = {
    "photo.jpg",
    "copy_of_photo.jpg",
    "deep16.png",
    "cmyk.jpg",
    "palette_alpha.png",
    "animated.gif",
    "tiny_1x1.png",
    "ünïcödé 写真.jpg",
}
BAD = {
    "empty.jpg": "empty",
    "truncated.jpg": "truncated",
    "truncated.png": "",
    "text.jpg": "not an image",
    "page.png": "not an image",
    "bomb.png": "too large",
    "folder.jpg": "directory",
    "vanished.jpg": "not found",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    photo = original("chelsea")
    shutil.copy(EXAMPLES / "chelsea.jpg", root / "photo.jpg")
    photo.resize((photo.width // 2, photo.height // 2)).save(root / "copy_of_photo.jpg")
    Image.fromarray((np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)).save(
        root / "deep16.png"
    )
    original("coffee").convert("CMYK").save(root / "cmyk.jpg")
    palette = original("rocket").convert("P")
    palette.save(root / "palette_alpha.png", transparency=0)
    frames = [original("astronaut").convert("P"), original("coffee").convert("P")]
    frames[0].save(root / "animated.gif", save_all=True, append_images=frames[1:])
    Image.new("RGB", (1, 1), (200, 10, 10)).save(root / "tiny_1x1.png")
    shutil.copy(EXAMPLES / "hubble_deep_field.jpg", root / "ünïcödé 写真.jpg")
    with open(os.fsencode(root) + b"/latin1_caf\xe9.jpg", "wb") as handle:
        handle.write((EXAMPLES / "rocket.jpg").read_bytes())

    (root / "empty.jpg").write_bytes(b"")
    data = (EXAMPLES / "coffee.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(data[: len(data) // 2])
    buffer = io.BytesIO()
    original("coffee").save(buffer, format="PNG")
    (root / "truncated.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (root / "text.jpg").write_text("just some text")
    (root / "page.png").write_text("<!doctype html><html><body>hello</body></html>")
    Image.new("1", (20_000, 20_000)).save(root / "bomb.png")  # 400 MP, a few KB on disk
    (root / "folder.jpg").mkdir()
    (root / "loop").mkdir()
    os.symlink(root, root / "loop" / "again")
    locked = root / "locked.png"
    shutil.copy(root / "tiny_1x1.png", locked)
    locked.chmod(0)
    (root / "vanished.jpg").write_bytes(data)
    return root


def discover_then_delete(hostile):
    """``list_images`` that deletes vanished.jpg right after listing, as another process might."""
    real = discover.list_images

    def list_then_delete(*args, **kwargs):
        listing = real(*args, **kwargs)
        (hostile / "vanished.jpg").unlink(missing_ok=True)
        return listing

    return list_then_delete


@pytest.fixture
def vanishing(monkeypatch, hostile):
    """Make vanished.jpg disappear between listing and decoding; put it back afterwards."""
    monkeypatch.setattr("imagededup.methods.base.list_images", discover_then_delete(hostile))
    yield
    (hostile / "vanished.jpg").write_bytes((EXAMPLES / "coffee.jpg").read_bytes())


def test_cnn_survives_a_hostile_folder(hostile, vanishing, cnn, tmp_path):
    encodings = cnn.encode_images(hostile)
    names = set(encodings)
    latin1 = os.fsdecode(b"latin1_caf\xe9.jpg")
    assert GOOD | {latin1} <= names
    assert not names & set(BAD)
    for name, fragment in BAD.items():
        assert fragment in cnn.skipped[name], (name, cnn.skipped[name])
    readable = os.access(hostile / "locked.png", os.R_OK)  # root reads it anyway
    assert ("locked.png" in names) == readable
    assert ("locked.png" in cnn.skipped) == (not readable)
    duplicates = cnn.find_duplicates(encoding_map=encodings)
    assert duplicates["photo.jpg"] == ["copy_of_photo.jpg"]
    saved = json.loads(save_json(duplicates, tmp_path / "out.json").read_text())
    assert len(saved) == len(duplicates)  # the undecodable file name survives as an escape


def test_recursive_listing_breaks_the_symlink_loop(hostile, cnn):
    assert "loop/again/photo.jpg" not in cnn.encode_images(hostile, recursive=True)


def test_bomb_is_refused_without_decoding(hostile, caplog):
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert CNN(verbose=False).encode_image(image_file=hostile / "bomb.png") is None
    assert "too large" in caplog.text
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 300


@pytest.mark.skipif(
    importlib.util.find_spec("pillow_heif") is None, reason="pillow-heif not installed ([heif])"
)
def test_heic_with_the_heif_extra(tmp_path, cnn):
    import pillow_heif

    pillow_heif.from_pillow(original("chelsea")).save(tmp_path / "chelsea.heic", quality=90)
    shutil.copy(EXAMPLES / "chelsea.jpg", tmp_path / "chelsea.jpg")
    assert cnn.find_duplicates(image_dir=tmp_path)["chelsea.heic"] == ["chelsea.jpg"]


@pytest.mark.parametrize("method", ["PHash", "DHash", "AHash", "WHash", "PDQHash"])
def test_hash_methods_survive_a_hostile_folder(hostile, vanishing, method):
    import imagededup.methods as methods

    hasher = getattr(methods, method)(verbose=False)
    hashes = hasher.encode_images(hostile)
    assert set(hashes) >= GOOD
    assert not set(hashes) & set(BAD)
    for name, fragment in BAD.items():
        assert fragment in hasher.skipped[name], (method, name, hasher.skipped[name])
    assert "copy_of_photo.jpg" in hasher.find_duplicates(encoding_map=hashes)["photo.jpg"]
