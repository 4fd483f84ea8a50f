"""Listing folders: names, recursion, hidden files, symlinks and unreadable folders."""

from __future__ import annotations

import os

import pytest

from imagededup.images.discover import OUTPUT_MARKER, following_symlinks, list_images


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def test_lists_images_sorted_with_relative_posix_names(tmp_path):
    for name in [
        "b.JPG",
        "a.png",
        "sub/c.webp",
        ".hidden.jpg",
        ".git/d.jpg",
        "notes.txt",
        "e.heic",
    ]:
        touch(tmp_path / name)
    assert list_images(tmp_path).names == ["a.png", "b.JPG", "e.heic"]
    listing = list_images(tmp_path, recursive=True)
    assert listing.names == ["a.png", "b.JPG", "e.heic", "sub/c.webp"]
    assert all(p.is_absolute() for p in listing.paths)


def test_symlink_loop_is_broken(tmp_path):
    touch(tmp_path / "a" / "x.jpg")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    for follow in (False, True):
        listing = list_images(tmp_path, recursive=True, follow_symlinks=follow)
        assert listing.names == ["a/x.jpg"]


def test_symlinked_folders_are_entered_only_when_asked(tmp_path):
    touch(tmp_path / "outside" / "y.jpg")
    touch(tmp_path / "root" / "x.jpg")
    os.symlink(tmp_path / "outside", tmp_path / "root" / "elsewhere")
    assert list_images(tmp_path / "root", recursive=True).names == ["x.jpg"]
    followed = list_images(tmp_path / "root", recursive=True, follow_symlinks=True)
    assert followed.names == ["elsewhere/y.jpg", "x.jpg"]
    with following_symlinks(True):
        assert list_images(tmp_path / "root", recursive=True).names == followed.names


def test_imagededups_own_output_folders_are_skipped(tmp_path):
    touch(tmp_path / "x.jpg")
    touch(tmp_path / "imagededup-trash-1" / "x.jpg")
    touch(tmp_path / "imagededup-trash-1" / OUTPUT_MARKER)
    touch(tmp_path / "dups" / "sub" / "x.jpg")
    touch(tmp_path / "dups" / OUTPUT_MARKER)
    touch(tmp_path / "imagededup-trash-2" / "y.jpg")  # a user's folder with that name: no marker
    listing = list_images(tmp_path, recursive=True)
    assert listing.names == ["imagededup-trash-2/y.jpg", "x.jpg"]


def test_broken_symlink_is_reported(tmp_path):
    os.symlink(tmp_path / "missing.jpg", tmp_path / "link.jpg")
    listing = list_images(tmp_path)
    assert listing.names == []
    assert listing.skipped == {"link.jpg": "broken symlink"}


def test_unreadable_folder_is_reported(tmp_path, monkeypatch):
    touch(tmp_path / "locked" / "x.jpg")
    touch(tmp_path / "open" / "y.jpg")
    real_scandir = os.scandir

    def scandir(path):  # chmod 000 does not stop root, who runs CI, so deny it here
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    listing = list_images(tmp_path, recursive=True)
    assert listing.names == ["open/y.jpg"]
    assert listing.skipped == {"locked": "cannot read folder: Permission denied"}


def test_non_utf8_names(tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.jpg"
    with open(raw, "wb") as handle:
        handle.write(b"x")
    listing = list_images(tmp_path)
    assert len(listing.names) == 1
    assert listing.paths[0].exists()


def test_bad_root(tmp_path):
    with pytest.raises(FileNotFoundError):
        list_images(tmp_path / "missing")
    touch(tmp_path / "file.jpg")
    with pytest.raises(NotADirectoryError):
        list_images(tmp_path / "file.jpg")


def test_files_are_recognised_by_content_not_only_by_extension(tmp_path):
    from tests.conftest import EXAMPLES

    photo = (EXAMPLES / "rocket.jpg").read_bytes()
    for name in ("IMG_0001", "photo.svg", ".hidden_photo", "sub/inner"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(photo)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    listing = list_images(tmp_path)
    assert listing.names == ["IMG_0001", "photo.svg"]  # as imagededup 0.3.3 found them
    assert listing.skipped == {}
    assert list_images(tmp_path, recursive=True).names == ["IMG_0001", "photo.svg", "sub/inner"]
