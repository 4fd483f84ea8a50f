"""The signals of the ``best`` keep policy, each on real edited copies of the example photos."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from imagededup.groups import keep_group
from imagededup.images.info import file_info
from imagededup.keep import (
    DETAIL_RATIO,
    LOSSLESS,
    UNREADABLE,
    copy_marks,
    detail_ratio,
    fine_detail,
    is_framed,
    measure,
    stored_quality,
)
from tests.conftest import original

EXIF_IFD, DATE_ORIGINAL, MAKE = 0x8769, 0x9003, 0x010F


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Edited copies of two example photos, saved as an editor would (JPEG quality 95)."""
    folder = tmp_path_factory.mktemp("copies")
    for name in ("chelsea", "astronaut"):
        im = original(name)
        half = im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)
        edits = {
            "orig": im,
            "black_border": ImageOps.expand(im, border=im.height // 20, fill=(0, 0, 0)),
            "white_border": ImageOps.expand(im, border=im.height // 20, fill=(255, 255, 255)),
            "padded": ImageOps.pad(im, (im.width, im.height * 3 // 2), color=(0, 0, 0)),
            "half": half,
            "upscale": half.resize(im.size, Image.Resampling.LANCZOS),
            "bicubic_upscale": half.resize(im.size, Image.Resampling.BICUBIC),
            "grey": ImageOps.grayscale(im),
            "rotate": im.rotate(5, Image.Resampling.BICUBIC, fillcolor=(0, 0, 0)),
            "mirror": ImageOps.mirror(im),
        }
        for label, edit in edits.items():
            edit.save(folder / f"{name}_{label}.jpg", quality=95)
        for quality in (30, 60, 90):
            im.save(folder / f"{name}_q{quality}.jpg", quality=quality)
        im.save(folder / f"{name}.png")
    return folder


def kept(folder: Path, names: list[str]) -> str:
    """The file ``best`` keeps of ``names`` (in ``folder``), read from disk like the CLI does."""
    info = cache(lambda name: file_info(folder / name))
    content = cache(lambda name: measure(folder / name))
    return keep_group(names, "best", info, content=content).keep[0]


@pytest.mark.parametrize("name", ["chelsea", "astronaut"])
@pytest.mark.parametrize("border", ["black_border", "white_border", "padded"])
def test_a_border_or_padding_adds_no_resolution(copies, name, border):
    framed, plain = measure(copies / f"{name}_{border}.jpg"), measure(copies / f"{name}_orig.jpg")
    assert framed.size[0] * framed.size[1] > plain.size[0] * plain.size[1]
    assert framed.trimmed == plain.size  # the frame is trimmed to the line
    assert plain.box == (0, 0, *plain.size)  # a photo loses nothing
    assert is_framed(framed, plain) and not is_framed(plain, framed)
    names = [f"{name}_{border}.jpg", f"{name}_orig.jpg"]
    assert keep_group(names, "largest-resolution", lambda n: file_info(copies / n)).keep == [
        names[0]
    ]  # the old default keeps the frame
    assert kept(copies, names) == names[1]


@pytest.mark.parametrize("name", ["chelsea", "astronaut"])
def test_an_upscale_holds_no_detail_beyond_its_source(copies, name):
    upscale, orig = (measure(copies / f"{name}_{label}.jpg") for label in ("upscale", "orig"))
    assert detail_ratio(upscale.detail, 0.5) < DETAIL_RATIO <= detail_ratio(orig.detail, 0.5)
    assert kept(copies, [f"{name}_upscale.jpg", f"{name}_half.jpg"]) == f"{name}_half.jpg"
    group = [f"{name}_upscale.jpg", f"{name}_half.jpg", f"{name}_orig.jpg"]
    assert kept(copies, group) == f"{name}_orig.jpg"


@pytest.mark.parametrize("name", ["chelsea", "astronaut"])
def test_a_bicubic_upscale_loses_to_the_original_on_fine_detail(copies, name):
    upscale, orig = (measure(copies / f"{name}_{k}.jpg") for k in ("bicubic_upscale", "orig"))
    assert upscale.size == orig.size
    assert fine_detail(upscale) < 0.5 * fine_detail(orig)
    group = [f"{name}_bicubic_upscale.jpg", f"{name}_orig.jpg"]
    assert kept(copies, group) == f"{name}_orig.jpg"


@pytest.mark.parametrize("name", ["chelsea", "astronaut"])
def test_a_rotated_copy_has_filled_corners_and_less_fine_detail(copies, name):
    rotated, orig = (measure(copies / f"{name}_{label}.jpg") for label in ("rotate", "orig"))
    assert fine_detail(rotated) < 0.9 * fine_detail(orig)
    assert rotated.wedged and not orig.wedged  # black triangles in the corners
    assert kept(copies, [f"{name}_rotate.jpg", f"{name}_orig.jpg"]) == f"{name}_orig.jpg"


def test_jpeg_quality_is_read_from_the_quantisation_tables(copies):
    for quality in (30, 60, 90):
        with Image.open(copies / f"chelsea_q{quality}.jpg") as image:
            assert stored_quality(image) == pytest.approx(quality, abs=1.5)
    with Image.open(copies / "chelsea.png") as image:
        assert stored_quality(image) == LOSSLESS
    group = ["chelsea_q30.jpg", "chelsea_q90.jpg", "chelsea_q60.jpg"]
    assert kept(copies, group) == "chelsea_q90.jpg"
    assert kept(copies, [*group, "chelsea.png"]) == "chelsea.png"  # lossless first


def test_colour_before_greyscale(copies):
    grey, colour = (measure(copies / f"chelsea_{label}.jpg") for label in ("grey", "orig"))
    assert grey.grey and not colour.grey
    assert kept(copies, ["chelsea_grey.jpg", "chelsea_orig.jpg"]) == "chelsea_orig.jpg"


def test_equal_copies_go_to_the_original_looking_name_then_exif_then_age(copies, tmp_path):
    source = (copies / "chelsea_orig.jpg").read_bytes()
    names = ["IMG_0001 (2).jpg", "IMG_0001 copy.jpg", "IMG_0001.jpg"]
    for name in names:
        (tmp_path / name).write_bytes(source)
    assert [copy_marks(name) for name in names] == [1, 1, 0]
    assert kept(tmp_path, names) == "IMG_0001.jpg"

    im = original("chelsea")
    for name, date in (("a.jpg", "2021:05:01 10:00:00"), ("b.jpg", "2019:05:01 10:00:00")):
        exif = Image.Exif()
        exif[MAKE] = "Camera"
        exif.get_ifd(EXIF_IFD)[DATE_ORIGINAL] = date
        im.save(tmp_path / name, quality=95, exif=exif)
    im.save(tmp_path / "c.jpg", quality=95)  # no EXIF: less original-looking
    assert measure(tmp_path / "b.jpg").date == "2019:05:01 10:00:00"
    assert kept(tmp_path, ["c.jpg", "a.jpg", "b.jpg"]) == "b.jpg"  # camera, then the oldest


def test_identical_copies_tie_to_input_order(copies, tmp_path):
    for name in ("x.jpg", "y.jpg"):
        (tmp_path / name).write_bytes((copies / "astronaut_mirror.jpg").read_bytes())
        os.utime(tmp_path / name, (1e9, 1e9))  # the same age too
    assert kept(tmp_path, ["y.jpg", "x.jpg"]) == "y.jpg"
    assert kept(tmp_path, ["x.jpg", "y.jpg"]) == "x.jpg"


def test_an_unreadable_copy_is_never_kept_over_a_readable_one(copies, tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"not a picture")
    (tmp_path / "small.jpg").write_bytes((copies / "chelsea_half.jpg").read_bytes())
    assert measure(tmp_path / "broken.jpg") == UNREADABLE
    assert kept(tmp_path, ["broken.jpg", "small.jpg"]) == "small.jpg"


def test_best_needs_the_pixels():
    with pytest.raises(ValueError, match="measures the pixels"):
        keep_group(["a.jpg", "b.jpg"], "best", lambda n: None)


def test_a_rotated_phone_photo_keeps_its_quality_and_displayed_size(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # EXIF orientation: shown rotated by 90 degrees
    original("coffee").save(tmp_path / "phone.jpg", quality=80, exif=exif)
    content = measure(tmp_path / "phone.jpg")
    assert content.size == (320, 480)  # as displayed
    assert content.format == "JPEG" and content.quality == pytest.approx(80, abs=1.5)
