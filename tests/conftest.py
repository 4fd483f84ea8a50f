"""Fixtures: real photos from examples/ and transformed copies of them, made per test session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "images"
ORIGINALS = ["astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field"]

# name -> function making a copy that must still count as a duplicate of the original
TRANSFORMS = {
    "q30": lambda im: im,  # saved at JPEG quality 30
    "half": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "crop": lambda im: im.crop((im.width // 20, im.height // 20, im.width * 19 // 20, im.height)),
    "flip": ImageOps.mirror,
    "bright": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "grey": ImageOps.grayscale,
}  # fmt: skip


def original(name: str) -> Image.Image:
    """One of the example photos, decoded to RGB."""
    with Image.open(EXAMPLES / f"{name}.jpg") as im:
        return im.convert("RGB")


@pytest.fixture(autouse=True, scope="session")
def private_cache_home(tmp_path_factory: pytest.TempPathFactory):
    """Keep the command line's default embedding cache (and any other cache) out of $HOME."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five distinct photos; three of them with six transformed copies each (23 files)."""
    folder = tmp_path_factory.mktemp("photos")
    for name in ORIGINALS:
        shutil.copy(EXAMPLES / f"{name}.jpg", folder / f"{name}.jpg")
    for name in ORIGINALS[:3]:
        im = original(name)
        for label, transform in TRANSFORMS.items():
            quality = 30 if label == "q30" else 90
            transform(im).save(folder / f"{name}_{label}.jpg", quality=quality)
    return folder


@pytest.fixture(scope="session")
def star_fields(tmp_path_factory):
    """Nine different patches of the Hubble deep field, each with its mirror image: 18 files."""
    folder = tmp_path_factory.mktemp("stars")
    with Image.open(EXAMPLES / "hubble_deep_field.jpg") as im:
        sky = im.convert("RGB")
    w, h = sky.size
    for i in range(3):
        for j in range(3):
            patch = sky.crop((i * w // 3, j * h // 3, (i + 1) * w // 3, (j + 1) * h // 3))
            patch.save(folder / f"sky{i}{j}.png")
            ImageOps.mirror(patch).save(folder / f"sky{i}{j}_mirrored.png")
    return folder


@pytest.fixture(scope="session")
def expected_groups() -> dict[str, set[str]]:
    """For each photo in ``photo_dir``, the set of files that are copies of the same source."""
    groups = {}
    for name in ORIGINALS:
        copies = [f"{name}_{label}.jpg" for label in TRANSFORMS] if name in ORIGINALS[:3] else []
        members = {f"{name}.jpg", *copies}
        for member in members:
            groups[member] = members - {member}
    return groups


@pytest.fixture(scope="session")
def cnn():
    from imagededup.methods import CNN

    return CNN(verbose=False)


def imagededup(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the command line in a fresh process, as a user would (``python -m imagededup``)."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        [sys.executable, "-m", "imagededup", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )


@dataclass
class Scanned:
    """One ``imagededup find`` over ``library``: ``photos`` (the copies of ``photo_dir``, some in
    a sub-folder) and ``archive`` (a reference folder), written to ``result`` and ``report``."""

    base: Path
    library: Path
    result: Path
    report: Path
    stdout: str


@pytest.fixture(scope="session")
def scanned(photo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """Scanned once per session; tests that act on files work on copies of it."""
    base = tmp_path_factory.mktemp("scanned")
    library = base / "library"
    shutil.copytree(photo_dir, library / "photos")
    (library / "photos" / "2024").mkdir()
    for path in (library / "photos").glob("*_[hc]*.jpg"):  # *_half, *_crop
        path.rename(library / "photos" / "2024" / path.name)
    (library / "archive").mkdir()
    shutil.copy(EXAMPLES / "chelsea.jpg", library / "archive" / "chelsea_original.jpg")
    result, report = base / "result.json", base / "report.html"
    found = imagededup(
        "find",
        str(library / "photos"),
        "--reference",
        str(library / "archive"),
        "--json",
        str(result),
        "--report",
        str(report),
        "--quiet",
    )
    assert found.returncode == 0, found.stderr
    return Scanned(base, library, result, report, found.stdout)


def screenshot(picture: Image.Image, share: float) -> Image.Image:
    """A 1280x800 screenshot of an image viewer: a dark frame, ``picture`` on the left at
    ``share`` of the width, and lines of text to its right (corners that match nothing)."""
    shot = Image.new("RGB", (1280, 800), (40, 40, 40))
    draw = ImageDraw.Draw(shot)
    draw.rectangle((16, 16, 1264, 784), fill=(245, 245, 245))
    width = int(1280 * share)
    height = width * picture.height // picture.width
    shot.paste(picture.resize((width, height)), (20, (800 - height) // 2))
    for y in range(40, 760, 22):
        draw.line((40 + width, y, 240 + width + y * 37 % 300, y), fill=(30, 30, 30), width=3)
    return shot


@pytest.fixture(scope="session")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four example photos blurred smooth (too smooth for keypoints), and a screenshot showing
    the cat's at half its width."""
    folder = tmp_path_factory.mktemp("viewer")
    for name in ORIGINALS[:4]:
        smooth = original(name).filter(ImageFilter.GaussianBlur(12))
        smooth.save(folder / f"{name}.jpg", quality=92)
    with Image.open(folder / "chelsea.jpg") as cat:
        screenshot(cat, 0.5).save(folder / "chelsea_screenshot.png")
    return folder
