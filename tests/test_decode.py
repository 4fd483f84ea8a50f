"""The one decoder: every kind of real-world file becomes RGB pixels or a clear reason."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from imagededup.images.decode import DecodeError, image_size, load_image
from tests.conftest import EXAMPLES, original


def test_exif_orientation_is_applied(tmp_path):
    im = original("rocket")  # portrait
    rotated = im.transpose(Image.Transpose.ROTATE_90)  # stored sideways...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...and tagged "rotate 90 CW to display"
    rotated.save(tmp_path / "tagged.jpg", exif=exif, quality=95)
    pixels = load_image(tmp_path / "tagged.jpg")
    assert pixels.shape == (im.height, im.width, 3)
    diff = np.abs(pixels.astype(int) - np.asarray(im, dtype=int)).mean()
    assert diff < 4
    assert image_size(tmp_path / "tagged.jpg") == (im.width, im.height)  # header only
    with pytest.raises(DecodeError, match="not found"):
        image_size(tmp_path / "missing.jpg")


def test_alpha_is_composited_on_white(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:4, :, :] = (255, 0, 0, 255)  # opaque red top; transparent black bottom
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    pixels = load_image(tmp_path / "alpha.png")
    assert tuple(pixels[0, 0]) == (255, 0, 0)
    assert tuple(pixels[7, 7]) == (255, 255, 255)


def test_palette_with_transparency(tmp_path):
    im = Image.new("P", (6, 6), 0)
    im.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    im.paste(1, (0, 0, 3, 6))
    im.save(tmp_path / "pal.png", transparency=0)
    pixels = load_image(tmp_path / "pal.png")
    assert tuple(pixels[0, 0]) == (0, 255, 0)
    assert tuple(pixels[0, 5]) == (255, 255, 255)


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    ramp = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    pixels = load_image(tmp_path / "deep.png")
    np.testing.assert_array_equal(pixels[..., 0], np.arange(256, dtype=np.uint8).reshape(16, 16))


def test_cmyk_grey_and_gif_become_rgb(tmp_path):
    im = original("coffee")
    im.convert("CMYK").save(tmp_path / "cmyk.jpg")
    im.convert("L").save(tmp_path / "grey.jpg")
    frames = [im.convert("P"), im.transpose(Image.Transpose.FLIP_TOP_BOTTOM).convert("P")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    for name in ("cmyk.jpg", "grey.jpg", "anim.gif"):
        pixels = load_image(tmp_path / name)
        assert pixels.shape == (im.height, im.width, 3), name
    first = load_image(tmp_path / "anim.gif").astype(int)
    to_first = np.abs(first - np.asarray(im, dtype=int)).mean()
    to_second = np.abs(first - np.asarray(im.transpose(Image.Transpose.FLIP_TOP_BOTTOM))).mean()
    assert to_first < to_second / 2


def test_resize_to_model_input(tmp_path):
    assert load_image(EXAMPLES / "astronaut.jpg", size=224).shape == (224, 224, 3)
    assert load_image(np.zeros((1, 1), np.uint8), size=224).shape == (224, 224, 3)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"<html><body>not a png</body></html>", "not an image"),
        ((EXAMPLES / "chelsea.jpg").read_bytes()[:3000], "truncated"),
    ],
)
def test_bad_files_raise_with_reason(tmp_path, content, reason):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(DecodeError, match=reason):
        load_image(path, size=224)


def test_truncated_png(tmp_path):
    buffer = io.BytesIO()
    original("chelsea").save(buffer, format="PNG")
    (tmp_path / "cut.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(DecodeError):
        load_image(tmp_path / "cut.png")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DecodeError, match="not found"):
        load_image(tmp_path / "gone.jpg")
    (tmp_path / "dir.jpg").mkdir()
    with pytest.raises(DecodeError, match="directory"):
        load_image(tmp_path / "dir.jpg")


def test_decompression_bomb_is_refused_but_large_jpeg_is_drafted(tmp_path, monkeypatch):
    big = original("astronaut").resize((2000, 2000))
    big.save(tmp_path / "big.png")
    big.save(tmp_path / "big.jpg")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2_500_000)
    with pytest.raises(DecodeError, match="too large"):
        load_image(tmp_path / "big.png", size=224)
    # draft mode decodes the JPEG at 1/4 scale (500x500), under the limit
    assert load_image(tmp_path / "big.jpg", size=224).shape == (224, 224, 3)


def test_big_non_jpeg_is_reduced_right_after_decoding(tmp_path, monkeypatch):
    import imagededup.images.decode as decode

    monkeypatch.setattr(decode, "BIG_PIXELS", 100_000)
    rng = np.random.default_rng(0)
    smooth = np.kron(rng.integers(0, 256, (20, 30, 4), dtype=np.uint8), np.ones((40, 40, 1)))
    path = tmp_path / "big.png"
    Image.fromarray(smooth.astype(np.uint8), "RGBA").save(path)  # 1200 x 800, alpha
    reduced = decode.open_image(path, size=50)
    assert reduced.size == (300, 200)  # factor 4 keeps both sides >= 4 * 50
    image, _ = decode.load_views(path, 64)
    monkeypatch.setattr(decode, "BIG_PIXELS", 10**9)
    full, _ = decode.load_views(path, 64)
    difference = np.abs(image.astype(int) - full.astype(int))
    assert np.median(difference) <= 1 and difference.mean() < 4  # edges of alpha differ most


def test_batches_are_processed_in_threads_and_come_back_in_order():
    import threading

    from imagededup.images.loader import iter_processed

    def decode(path):
        if path.endswith("bad"):
            raise DecodeError("broken on purpose")
        return int(path)

    threads = set()

    def process(items):
        threads.add(threading.get_ident())
        return [item * 10 for item in items]

    paths = [str(k) if k % 7 else f"{k}bad" for k in range(50)]
    batches = list(iter_processed(paths, decode, process, batch_size=4, num_workers=3))
    assert [k for b in batches for k in b.indices] == [k for k in range(50) if k % 7]
    assert [v for b in batches for v in (b.result or [])] == [10 * k for k in range(50) if k % 7]
    assert [k for b in batches for k, _ in b.failures] == list(range(0, 50, 7))
    assert all(reason == "broken on purpose" for b in batches for _, reason in b.failures)
    assert threading.get_ident() not in threads


def test_rotated_view_is_the_squashed_image_rotated_then_resized():
    from imagededup.images.decode import load_views

    image, views = load_views(EXAMPLES / "astronaut.jpg", 256, (25.0, -25.0), 192)
    assert views.shape == (2, 192, 192, 3)
    square = Image.fromarray(image)
    for view, angle in zip(views, (25.0, -25.0), strict=True):
        slow = square.rotate(angle, resample=Image.Resampling.BILINEAR).resize((192, 192))
        assert np.abs(view.astype(int) - np.asarray(slow)).mean() < 3  # same picture
        wrong = square.rotate(-angle, resample=Image.Resampling.BILINEAR).resize((192, 192))
        assert np.abs(view.astype(int) - np.asarray(wrong)).mean() > 10  # turned the right way


def test_squashed_jpeg_is_drafted_on_its_longer_side_only(tmp_path):
    from imagededup.images.decode import load_views, open_image

    path = tmp_path / "wide.jpg"
    original("astronaut").resize((2048, 1152)).save(path, quality=90)
    assert open_image(path, 128).size == (512, 288)  # 1/4 scale: both sides >= 256
    assert open_image(path, 128, squashed=True).size == (256, 144)  # 1/8: the longer side
    with Image.open(path) as full:  # no draft at all
        slow = np.asarray(full.convert("RGB").resize((256, 256), Image.Resampling.BILINEAR))
    image, _ = load_views(path, 256)
    assert np.abs(image.astype(int) - slow).mean() < 4  # short side upsampled: softer edges
