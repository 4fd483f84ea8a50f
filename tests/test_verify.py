"""Pixel checks of the CNN's matches, on drawings cut from the example photos and on recoloured
copies of them."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from imagededup.images.decode import load_views
from imagededup.images.views import centre, view_parts
from imagededup.methods import CNN
from imagededup.search.drawing import Drawings, drawing, hues
from imagededup.search.graphics import (
    FEATURES,
    classifier,
    one_asset_odds,
    pair_features,
    sure_copies,
)
from imagededup.search.pairs import Pairs
from imagededup.search.verify import mirror_images, recoloured, verified, without_chains
from tests.conftest import EXAMPLES, original


def arrow(size: int, colour: tuple[int, int, int]) -> Image.Image:
    """An arrow pointing right with a photo-textured body, on a transparent canvas."""
    texture = original("coffee").resize((size, size))
    mask = Image.new("L", (size, size), 0)
    s = size / 32
    ImageDraw.Draw(mask).polygon(
        [(4 * s, 12 * s), (18 * s, 12 * s), (18 * s, 4 * s), (30 * s, 16 * s), (18 * s, 28 * s),
         (18 * s, 20 * s), (4 * s, 20 * s)], fill=255)  # fmt: skip
    body = Image.blend(texture, Image.new("RGB", (size, size), colour), 0.8).convert("RGBA")
    body.putalpha(mask)
    return body


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drawings")
    files = {
        "arrow32": arrow(32, (200, 40, 40)),
        "arrow128": arrow(128, (200, 40, 40)),
        "mirror128": ImageOps.mirror(arrow(128, (200, 40, 40))),
        "blue128": arrow(128, (40, 40, 200)),
        "photo": original("astronaut"),
        "photo_mirrored": ImageOps.mirror(original("astronaut")),
        "photo_small": original("astronaut").resize((128, 128)),
        "both_ways128": Image.alpha_composite(
            arrow(128, (200, 40, 40)), ImageOps.mirror(arrow(128, (200, 40, 40)))
        ),
    }
    for name, image in files.items():
        image.save(folder / f"{name}.png")
    return {name: folder / f"{name}.png" for name in files}


def one_asset(a: Path, b: Path, score: float, threshold: float = 0.65) -> bool:
    """The classifier's call on the pair ``(a, b)`` found with ``score`` at ``threshold``."""
    pair = Pairs(np.array([0]), np.array([1]), np.array([score], np.float32))
    return bool(one_asset_odds(pair, Drawings([a, b]), threshold)[0] >= 0)


def test_the_same_drawing_at_another_size_passes(files):
    assert one_asset(files["arrow32"], files["arrow128"], 0.65)


def test_a_faint_drawing_compares_its_colours_with_its_other_sizes(tmp_path):
    # a greyed-out icon: nothing half opaque, so "what a viewer shows" would be nothing
    paths = []
    for size in (32, 128):
        faint = arrow(size, (200, 40, 40))
        faint.putalpha(faint.getchannel("A").point(lambda a: a * 100 // 255))
        faint.save(tmp_path / f"faint{size}.png")
        paths.append(tmp_path / f"faint{size}.png")
    pair = Pairs(np.array([0]), np.array([1]), np.array([0.9], np.float32))
    x = pair_features(pair, Drawings(paths), 0.65)[0]
    assert x[FEATURES.index("colours4")] > 0.8  # 0 when the drawings had no visible colour
    assert one_asset(paths[0], paths[1], 0.9)


@pytest.mark.parametrize("other", ["mirror128", "blue128"])
def test_a_mirrored_or_recoloured_drawing_fails_even_when_the_cnn_is_sure(files, other):
    assert drawing(files[other]).graphic
    assert not one_asset(files["arrow128"], files[other], 0.95)


def punched(image: Image.Image, radius: int) -> Image.Image:
    """``image`` with a transparent hole of ``radius`` px at its centre."""
    out = image.copy()
    x, y = out.width // 2, out.height // 2
    ImageDraw.Draw(out).ellipse([x - radius, y - radius, x + radius, y + radius], fill=(0, 0, 0, 0))
    return out


def test_a_reshaped_drawing_of_one_size_fails_where_the_classifier_alone_accepts_it(tmp_path):
    """An icon set draws each asset once per size: two drawings of one size whose shapes
    differ are two assets, even when the classifier of their grids accepts the pair."""
    arrow128, arrow32 = tmp_path / "arrow128.png", tmp_path / "arrow32.png"
    arrow(128, (200, 40, 40)).save(arrow128)
    arrow(32, (200, 40, 40)).save(arrow32)
    cut = tmp_path / "cut128.png"
    punched(arrow(128, (200, 40, 40)), 8).save(cut)
    pair = Pairs(np.array([0]), np.array([1]), np.array([0.95], np.float32))
    features = pair_features(pair, Drawings([arrow128, cut]), 0.65)
    assert classifier().accepts(features)[0]  # the grids alone would call it one asset
    assert not one_asset(arrow128, cut, 0.95)
    assert one_asset(arrow32, cut, 0.95)  # another size: redrawn, the classifier decides


def toned(size: int, skin: tuple[int, int, int]) -> Image.Image:
    """A dark arrow with a face-like oval in ``skin``: one drawing in several skin tones."""
    image = arrow(size, (60, 60, 90))
    s = size / 32
    ImageDraw.Draw(image).ellipse([8 * s, 11 * s, 17 * s, 21 * s], fill=(*skin, 255))
    return image


def key(size: int, edited: bool) -> Image.Image:
    """A rounded blue key with a white bar, and its edit with a two-tone mark above and below
    the bar (a change no single colour shift makes): two icons of one frame."""
    image = Image.new("RGBA", (size, size))
    draw = ImageDraw.Draw(image)
    s = size / 32
    draw.rounded_rectangle([2 * s, 2 * s, 29 * s, 29 * s], radius=5 * s, fill=(40, 90, 200, 255))
    draw.rectangle([8 * s, 14 * s, 23 * s, 17 * s], fill=(250, 250, 250, 255))
    if edited:
        draw.rectangle([14 * s, 8 * s, 17 * s, 13 * s], fill=(100, 150, 255, 255))
        draw.rectangle([14 * s, 18 * s, 17 * s, 23 * s], fill=(10, 40, 120, 255))
    return image


@pytest.mark.parametrize(
    "draw",
    [
        # one skin tone and a darker one
        lambda variant: toned(64, (212, 162, 112) if variant else (250, 200, 150)),
        # EmojiOne's light and medium-light: 26-35 apart
        lambda variant: toned(64, (224, 187, 153) if variant else (250, 220, 188)),
        lambda variant: key(64, edited=variant),
    ],
    ids=["darker colourway", "subtle colourway", "edit"],
)
def test_another_variant_of_one_size_fails_and_lossy_copies_pass(tmp_path, draw):
    """Two drawings of one size whose pixels differ by one colour shift over a region (an
    emoji's skin tones), or that are alike but for a clear part of their interiors (the
    keycaps 6 and 8, a folder and the folder with an emblem), are two assets where the
    classifier alone accepts them; WebP, GIF and JPEG-on-white copies, which shift colours
    less, less alike or only along their edges, stay one asset."""
    paths = [tmp_path / "drawing.png", tmp_path / "variant.png"]
    draw(False).save(paths[0])
    draw(True).save(paths[1])
    for suffix, options in (
        (".webp", {"quality": 80}),
        ("q50.webp", {"quality": 50}),
        (".gif", {}),
    ):
        draw(False).save(tmp_path / f"copy{suffix}", **options)
        paths.append(tmp_path / f"copy{suffix}")
    flattened_jpeg(draw(False), tmp_path / "copy.jpg")
    paths.append(tmp_path / "copy.jpg")
    pairs = Pairs(np.zeros(5, np.int64), np.arange(1, 6), np.full(5, 0.85, np.float32))
    assert classifier().accepts(pair_features(pairs, Drawings(paths), 0.65))[0]
    odds = one_asset_odds(pairs, Drawings(paths), 0.65)
    assert odds[0] == -np.inf  # two assets, whatever the classifier says
    assert (odds[1:] > 0).all()  # the copies


def test_another_colourway_at_another_size_of_one_frame_fails_and_the_same_drawing_passes(
    tmp_path,
):
    """An emoji's skin tones rendered at 64 and 160 px show one frame at one scale in their
    thumbnails, so the colour shift tells them apart as at one size, while the same tone at
    both sizes stays one asset; under ``drawing.PIXELS`` (another frame) and for edits, which
    resampling blurs, the classifier alone decides."""
    light, dark = (250, 200, 150), (212, 162, 112)
    images = {
        "light64": toned(64, light),
        "light160": toned(160, light),
        "dark160": toned(160, dark),
        "dark24": toned(24, dark),
        "key64": key(64, edited=False),
        "edited128": key(128, edited=True),
    }
    paths = []
    for name, image in images.items():
        image.save(tmp_path / f"{name}.png")
        paths.append(tmp_path / f"{name}.png")
    pairs = Pairs(np.array([0, 0, 0, 4]), np.array([1, 2, 3, 5]), np.full(4, 0.85, np.float32))
    odds = one_asset_odds(pairs, Drawings(paths), 0.65)
    assert odds[0] > 0  # the same tone at 64 and 160 px
    assert odds[1] == -np.inf  # another tone at 160 px
    assert odds[2] > -np.inf and odds[3] > -np.inf  # 24 px; an edit: not variants by pixels


def soft_arrow(size: int) -> Image.Image:
    """``arrow`` with smooth edges (drawn 4 times larger and reduced) over a faint shadow that
    reaches 3 px further right and down: what rendered icons look like."""
    sharp = arrow(4 * size, (200, 40, 40))
    shadow = Image.new("RGBA", sharp.size)
    shadow.putalpha(sharp.getchannel("A").point(lambda a: a // 6))
    out = Image.new("RGBA", sharp.size)
    out.alpha_composite(shadow, (12, 12))
    out.alpha_composite(sharp)
    return out.resize((size, size), Image.Resampling.BOX)


def one_bit_gif(image: Image.Image, path: Path) -> None:
    """``image`` as a GIF with one transparent colour where it is less than half opaque (as
    GIMP and ImageMagick write it)."""
    palette = image.convert("RGB").quantize(255)
    indices = np.asarray(palette).copy()
    indices[np.asarray(image.getchannel("A")) < 128] = 255
    out = Image.fromarray(indices, "P")
    out.putpalette(palette.getpalette())
    out.save(path, transparency=255)


def flattened_jpeg(image: Image.Image, path: Path) -> None:
    """``image`` on white, as a JPEG."""
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    white.alpha_composite(image)
    white.convert("RGB").save(path, quality=90)


def webp50(image: Image.Image, path: Path) -> None:
    image.save(path, quality=50)


@pytest.mark.parametrize(
    ("draw", "suffix", "save"),
    [
        (lambda: arrow(128, (200, 40, 40)), ".gif", Image.Image.save),
        (lambda: arrow(128, (200, 40, 40)), ".webp", webp50),
        (lambda: soft_arrow(48), ".gif", one_bit_gif),
        (lambda: soft_arrow(128), ".jpg", flattened_jpeg),
    ],
    ids=["gif", "webp50", "soft-edged one-bit gif", "soft-edged jpeg on white"],
)
def test_a_copy_of_one_size_in_another_format_passes(tmp_path, draw, suffix, save):
    original_file, copy = tmp_path / "arrow.png", tmp_path / f"arrow{suffix}"
    draw().save(original_file)
    save(Image.open(original_file), copy)
    assert drawing(copy).size == drawing(original_file).size
    assert one_asset(original_file, copy, 0.9)


def line_art(size: int) -> Image.Image:
    """A face drawn in thin black antialiased strokes on a transparent canvas (OpenMoji's
    black line art)."""
    big = Image.new("RGBA", (4 * size, 4 * size))
    draw, s, width = ImageDraw.Draw(big), size / 8, size // 5
    draw.ellipse([4 * s, 4 * s, 28 * s, 28 * s], outline=(0, 0, 0, 255), width=width)
    draw.line([(10 * s, 12 * s), (22 * s, 12 * s)], fill=(0, 0, 0, 255), width=width)
    draw.arc([9 * s, 12 * s, 23 * s, 24 * s], 20, 160, fill=(0, 0, 0, 255), width=width)
    return big.resize((size, size), Image.Resampling.BOX)


@pytest.mark.parametrize("size", [32, 72])
def test_a_drawing_flattened_on_white_compares_with_the_other_flattened_alike(tmp_path, size):
    """Thin strokes saved as JPEG on white keep their edges as opaque blends with white, so
    the copy compares with its transparent original only as the original flattened on white
    would look (the copy's ``flattened`` colour)."""
    original_file, copy = tmp_path / "face.png", tmp_path / "face.jpg"
    line_art(size).save(original_file)
    flattened_jpeg(Image.open(original_file), copy)
    assert drawing(copy).flattened == (255, 255, 255)
    assert drawing(original_file).flattened is None
    near_white = Image.new("RGBA", (size, size), (250, 252, 246, 255))
    near_white.alpha_composite(Image.open(original_file).convert("RGBA"))
    near_white.convert("RGB").save(tmp_path / "near_white.png")  # one backdrop for near-whites
    assert drawing(tmp_path / "near_white.png").flattened == (255, 255, 255)
    assert one_asset(original_file, copy, 0.85) and one_asset(copy, original_file, 0.85)
    other = tmp_path / "arrow.png"  # another drawing stays another
    arrow(size, (0, 0, 0)).save(other)
    assert not one_asset(other, copy, 0.85)
    read = Drawings([original_file])
    on_white = read.flattened(0, (255, 255, 255))
    original_file.unlink()  # its pixels, read once, serve a copy flattened on any colour
    on_grey = read.flattened(0, (128, 128, 128))
    assert on_white is not None and on_grey is not None
    assert on_white.flattened == (255, 255, 255) and on_grey.flattened == (128, 128, 128)


def test_a_drawing_unreadable_when_flattened_compares_as_it_was(tmp_path, monkeypatch):
    original_file, copy = tmp_path / "face.png", tmp_path / "face.jpg"
    line_art(72).save(original_file)
    flattened_jpeg(Image.open(original_file), copy)
    read = Drawings([original_file, copy])
    assert read(0) is not None and read(1) is not None
    original_file.unlink()  # gone since it was read: no crash, the drawing read before counts
    pair = Pairs(np.array([0]), np.array([1]), np.array([0.85], np.float32))
    assert one_asset_odds(pair, read, 0.65)[0] < 0
    assert read.flattened(0, (255, 255, 255)) is None


def test_copies_of_graphics_too_large_to_be_graphics_pair_as_graphics(tmp_path, files):
    """Two skin tones of an emoji saved as JPEG on white at 96 px are opaque and larger than
    ``TINY``: on their own they pair as photos (alike but for a hue). Found paired with
    graphics (their sources), their pair is a graphic's: two colourways of one size, two
    assets. Another JPEG copy of the same drawing still pairs, and photos stay photos."""
    light, dark = toned(96, (250, 200, 150)), toned(96, (212, 162, 112))
    paths = [tmp_path / name for name in ("light.png", "dark.png", "light.jpg", "dark.jpg")]
    light.save(paths[0])
    dark.save(paths[1])
    flattened_jpeg(light, paths[2])
    flattened_jpeg(dark, paths[3])
    on_white = Image.new("RGBA", light.size, (255, 255, 255, 255))
    on_white.alpha_composite(light)
    on_white.convert("RGB").save(tmp_path / "light_q60.jpg", quality=60)
    paths += [tmp_path / "light_q60.jpg", files["photo"], files["photo_mirrored"]]
    copies = Pairs(np.array([2, 2, 5]), np.array([3, 4, 6]), np.full(3, 0.9, np.float32))
    kept, sure = verified(copies, paths, 0.65)
    assert len(kept) == 3 and (sure == np.inf).all()  # on their own: photos, not in doubt
    sources = Pairs(np.array([0, 1, 0]), np.array([2, 3, 4]), np.full(3, 0.9, np.float32))
    kept, sure = verified(Pairs.concat([sources, copies]), paths, 0.65)
    found = list(zip(kept.first.tolist(), kept.second.tolist(), strict=True))
    assert found == [(0, 2), (1, 3), (0, 4), (2, 4), (5, 6)]  # not (2, 3): two colourways
    assert np.isfinite(sure[:4]).all() and sure[4] == np.inf
    # a photo on white and its mirror image, each paired with a tiny opaque copy (a graphic by
    # its size): not copies of a graphic, so their pair stays a photo pair (mirrors allowed)
    ImageOps.mirror(Image.open(paths[2])).save(tmp_path / "mirrored.jpg", quality=90)
    Image.open(paths[2]).resize((40, 40)).save(tmp_path / "tiny.jpg", quality=90)
    photos = [paths[2], tmp_path / "mirrored.jpg", tmp_path / "tiny.jpg"]
    pairs = Pairs(np.array([0, 1, 0]), np.array([2, 2, 1]), np.full(3, 0.9, np.float32))
    kept, sure = verified(pairs, Drawings(photos), 0.65, floor=-np.inf)
    assert len(kept) == 3 and np.isfinite(sure[:2]).all() and sure[2] == np.inf


def test_only_pairs_with_a_graphic_are_checked(files):
    names = ["arrow128", "mirror128", "photo", "photo_mirrored", "arrow32"]
    pairs = Pairs(np.array([0, 2, 0]), np.array([1, 3, 4]), np.ones(3, np.float32))
    kept, sure = verified(pairs, [files[n] for n in names], 0.65)
    assert kept.first.tolist() == [2, 0] and kept.second.tolist() == [3, 4]
    assert sure[0] == np.inf and 0 <= sure[1] < np.inf  # the photos' pair is not in doubt
    unknown, sure = verified(pairs, [None] * len(names), 0.65)
    assert len(unknown) == len(pairs) and (sure == np.inf).all()


def test_cnn_finds_the_resized_drawing_not_its_mirror_through_an_encoding_map(files):
    cnn = CNN(verbose=False)
    folder = files["arrow32"].parent
    found = cnn.find_duplicates(
        encoding_map=cnn.encode_images(folder), min_similarity_threshold=0.3
    )
    assert "mirror128.png" not in found["arrow128.png"]
    assert "blue128.png" not in found["arrow128.png"]
    assert "photo_mirrored.png" in found["photo.png"]


def test_a_view_is_an_angle_or_an_angle_and_a_centre():
    image = original("chelsea").resize((100, 100))
    assert view_parts(25.0) == (25.0, 1.0) and view_parts((0.0, 0.5)) == (0.0, 0.5)
    middle = centre(image, 0.5)
    assert middle.size == (50, 50)
    assert np.array_equal(np.asarray(middle), np.asarray(image.crop((25, 25, 75, 75))))
    assert centre(image, 1.0) is image


def test_a_centre_view_is_embedded_beside_the_image():
    path = EXAMPLES / "chelsea.jpg"
    image, views = load_views(path, 64, (25.0, (0.0, 0.5)), 32)
    assert image.shape == (64, 64, 3) and views.shape == (2, 32, 32, 3)
    expected = Image.fromarray(image).crop((16, 16, 48, 48))
    assert np.abs(views[1].astype(int) - np.asarray(expected, int)).mean() < 3


def test_a_chain_through_a_symmetric_drawing_never_groups_mirror_images(files):
    names = ["arrow128", "both_ways128", "mirror128", "photo", "photo_mirrored"]
    read = Drawings([files[n] for n in names])
    arrow_, both, mirror = read(0), read(1), read(2)
    assert not mirror_images(arrow_, both) and not mirror_images(both, mirror)
    assert mirror_images(arrow_, mirror)
    # arrow - both ways - mirror, all linked, and a photo with its mirror image (photos may be
    # mirrored)
    pairs = Pairs(np.array([0, 1, 0, 3]), np.array([1, 2, 2, 4]), np.ones(4, np.float32))
    kept = without_chains(pairs, read, np.array([3.0, 2.0, 1.0, np.inf]))
    assert list(zip(kept.first.tolist(), kept.second.tolist(), strict=True)) == [(0, 1), (3, 4)]


@pytest.mark.parametrize(
    ("sure", "expected"),
    [((2.0, 1.0), [(0, 1), (3, 4), (4, 5)]), ((1.0, 2.0), [(1, 2), (3, 4), (4, 5)])],
)
def test_graphics_join_a_group_only_linked_to_all_of_it_photos_through_one(files, sure, expected):
    names = ["arrow32", "arrow128", "blue128", "photo", "photo_mirrored", "photo_small"]
    read = Drawings([files[n] for n in names])
    # arrow32 - arrow128 - blue128 without arrow32 - blue128; photo - mirrored - small likewise
    pairs = Pairs(np.array([0, 1, 3, 4]), np.array([1, 2, 4, 5]), np.ones(4, np.float32))
    kept = without_chains(pairs, read, np.array([*sure, np.inf, np.inf]))  # surest first
    assert list(zip(kept.first.tolist(), kept.second.tolist(), strict=True)) == expected
    clique = Pairs.concat([pairs, Pairs(np.array([0]), np.array([2]), np.ones(1, np.float32))])
    assert len(without_chains(clique, read, np.array([*sure, np.inf, np.inf, 0.5]))) == 5


def test_a_pair_with_one_copy_links_each_of_its_copies(files, tmp_path):
    """An icon's other size is often found with its PNG but not with the PNG's lossy copy: once
    the copies group, the group rule for graphics (every two drawings of two groups paired)
    kept the other size out, unless a pair with one sure copy counts for all of them."""
    webp = tmp_path / "arrow128.webp"
    Image.open(files["arrow128"]).save(webp, quality=50)
    read = Drawings([files["arrow32"], files["arrow128"], webp])
    pairs = Pairs(np.array([1, 0, 0]), np.array([2, 1, 2]), np.array([0.95, 0.5, 0.5], np.float32))
    sure = np.array([4.0, 1.0, -np.inf])
    copies = sure_copies(pairs, sure, read, 0.65)
    assert copies.tolist() == [True, False, False]
    assert not sure_copies(pairs, np.array([2.0, 1.0, 1.0]), read, 0.65).any()  # not sure
    assert not sure_copies(pairs, sure, read, 0.96).any()  # under the threshold
    found = pairs.take(np.array([True, True, False]))  # the webp's pair with arrow32 missing
    alone = without_chains(found, read, sure[:2])
    assert list(zip(alone.first.tolist(), alone.second.tolist(), strict=True)) == [(1, 2)]
    assert len(without_chains(found, read, sure[:2], copies[:2])) == 2


def test_one_match_between_two_groups_of_copies_does_not_join_them():
    read = Drawings([None] * 7)  # files unknown: photos
    within = [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)]  # two groups of three copies
    first, second = zip(*[*within, (2, 3), (5, 6), (4, 6)], strict=True)
    scores = np.array([0.9] * 6 + [0.7, 0.68, 0.66], np.float32)
    pairs = Pairs(np.array(first), np.array(second), scores)
    kept = without_chains(pairs, read, np.full(len(pairs), np.inf))
    # (2, 3) comes once the groups formed: 1 of the 9 pairs across; 6 joins {3, 4, 5} through
    # 2 of 3, which is enough
    assert list(zip(kept.first.tolist(), kept.second.tolist(), strict=True)) == [
        *within,
        (5, 6),
        (4, 6),
    ]
    # a pair of a file with itself (a crafted shard of pairs) joins nothing and breaks nothing
    itself = Pairs.concat([pairs, Pairs(np.array([6]), np.array([6]), np.ones(1, np.float32))])
    assert len(without_chains(itself, read, np.full(len(itself), np.inf))) == len(kept) + 1


def test_photos_are_drawn_only_when_paired_with_a_graphic(files, monkeypatch):
    import imagededup.search.drawing as module

    decoded = []
    real = module.drawing
    monkeypatch.setattr(module, "drawing", lambda path: decoded.append(path) or real(path))
    names = ["photo", "photo_mirrored", "arrow128"]
    paths = [files[n] for n in names]
    photos = Pairs(np.array([0]), np.array([1]), np.ones(1, np.float32))
    read = Drawings(paths)
    assert len(verified(photos, read, 0.65)[0]) == 1 and decoded == []  # their hues only
    assert sorted(read.colours) == [0, 1]
    mixed = Pairs(np.array([0]), np.array([2]), np.ones(1, np.float32))
    assert len(verified(mixed, paths, 0.65)[0]) == 0
    assert sorted(decoded) == sorted([paths[0], paths[2]])


def hue_turned(image: Image.Image, degrees: int) -> Image.Image:
    """``image`` with every hue turned by ``degrees``: another colourway of the same picture."""
    h, s, v = image.convert("HSV").split()
    turned = h.point(lambda x: (x + round(degrees * 256 / 360)) % 256)
    return Image.merge("HSV", (turned, s, v)).convert("RGB")


@pytest.fixture(scope="module")
def recolours(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recolours")
    coffee = original("coffee")
    files = {
        "orig": coffee,
        "turned90": hue_turned(coffee, 90),
        "turned180": hue_turned(coffee, 180),
        "darker": ImageEnhance.Brightness(coffee).enhance(0.7),
        "brighter": ImageEnhance.Brightness(coffee).enhance(1.3),
        "grey": ImageOps.grayscale(coffee),
        "crop": coffee.crop((150, 100, 450, 300)),
    }
    for name, image in files.items():
        image.save(folder / f"{name}.jpg", quality=90)
    return {name: folder / f"{name}.jpg" for name in files}


@pytest.mark.parametrize(
    ("copy", "expected"),
    [
        ("turned90", True),
        ("turned180", True),
        ("darker", False),
        ("brighter", False),
        ("grey", False),
        ("crop", False),
    ],
)
def test_another_colourway_of_a_photo_is_recoloured_a_brighter_grey_or_cropped_copy_not(
    recolours, copy, expected
):
    assert recoloured(hues(recolours["orig"]), hues(recolours[copy])) is expected


def test_recoloured_pairs_are_dropped_and_copies_kept(recolours):
    names = list(recolours)
    pairs = Pairs(np.zeros(len(names) - 1, np.int64), np.arange(1, len(names)), np.ones(6))
    kept, _ = verified(pairs, [recolours[n] for n in names], 0.65)
    assert [names[j] for j in kept.second.tolist()] == ["darker", "brighter", "grey", "crop"]
    unreadable, _ = verified(pairs, [recolours["orig"], *[None] * (len(names) - 1)], 0.65)
    assert len(unreadable) == len(pairs)  # a file that cannot be read is never a reason to drop


PURPLE, GREY, SLATE = (37, 31, 49), (119, 118, 123), (46, 52, 64)


@pytest.fixture(scope="module")
def plains(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Plain images (one colour, as GNOME's `vnc` wallpapers), their copies, a photo framed on a
    plain desktop, and a faint pattern that is not plain."""
    folder = tmp_path_factory.mktemp("plains")
    purple = Image.new("RGB", (1280, 800), PURPLE)
    desktop = Image.new("RGB", (1280, 800), SLATE)
    desktop.paste(original("coffee").resize((640, 427)), (320, 180))
    texture = np.asarray(ImageOps.grayscale(original("astronaut")).resize((800, 800)), np.float32)
    faint_pixels = np.array(PURPLE, np.float32) + (texture[..., None] - 128) / 128 * 6
    faint = Image.fromarray(np.clip(faint_pixels, 0, 255).astype(np.uint8))
    files = {
        "purple": purple,
        "purple_small": purple.resize((512, 320)),
        "purple_bright": ImageEnhance.Brightness(purple).enhance(1.3),
        "grey": Image.new("RGB", (1280, 800), GREY),
        "desktop": desktop,
        "desktop_corner": desktop.crop((0, 0, 300, 180)),
        "faint": faint,
        "faint_bright": ImageEnhance.Brightness(faint).enhance(1.3),
    }
    for name, image in files.items():
        image.save(folder / f"{name}.jpg", quality=50)
    return {name: folder / f"{name}.jpg" for name in files}


def test_plain_images_are_found_plain_a_faint_pattern_or_a_photo_not(plains):
    assert np.abs(cast(np.ndarray, hues(plains["purple"]).plain) - PURPLE).max() <= 3
    assert hues(plains["desktop_corner"]).plain is not None
    assert [hues(plains[n]).plain for n in ("desktop", "faint", "faint_bright")] == [None] * 3
    assert hues(EXAMPLES / "coffee.jpg").plain is None


@pytest.mark.parametrize(
    ("a", "b", "kept"),
    [
        ("purple", "purple_small", True),  # a JPEG copy at another size: one colour
        ("desktop_corner", "desktop", True),  # a plain crop of an image showing its colour
        ("faint", "faint_bright", True),  # neither plain: the CNN's call stands
        ("purple", "grey", False),  # GNOME's dark and light `vnc`
        ("purple", "desktop", False),  # a plain image and one nowhere of its colour
        ("desktop_corner", "purple", False),
        ("purple", "purple_bright", False),  # no content to be a copy of: colour alone decides
    ],
)
def test_a_plain_image_pairs_only_with_images_of_its_colour(plains, a, b, kept):
    pair = Pairs(np.array([0]), np.array([1]), np.ones(1, np.float32))
    assert len(verified(pair, [plains[a], plains[b]], 0.65)[0]) == int(kept)
    assert len(verified(pair, [plains[a], None], 0.65)[0]) == 1  # unreadable: kept


def test_plain_images_of_two_colours_are_not_one_group(plains):
    folder = plains["purple"].parent
    found = CNN(verbose=False).find_duplicates(image_dir=folder, scores=True)
    assert {Path(n).stem for n, _ in found["purple.jpg"]} >= {"purple_small"}
    assert not {Path(n).stem for n, _ in found["purple.jpg"]} & {"grey", "desktop", "faint"}
