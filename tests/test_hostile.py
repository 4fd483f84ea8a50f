"""The hostile cases of the command line, each as a user meets it: a second run in the same
folder, symbolic links, file names that try to fake output, and one unreadable file."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from imagededup import cli
from imagededup.actions import safe_fs
from tests.conftest import EXAMPLES, imagededup


def find(cwd: Path, *args: str) -> str:
    done = imagededup("find", *args, "--method", "phash", "--no-cache", "--quiet", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("action", [["--delete", "--yes"], ["--move-to", "dups"]])
def test_a_second_run_in_the_same_folder_never_takes_the_last_copy(tmp_path, action):
    """``find .`` then ``act`` twice: the first run's trash or move folder lies inside the scanned
    folder, and the second scan must not see it (its copy would sort first and be kept)."""
    library = tmp_path / "library"
    library.mkdir()
    shutil.copy2(EXAMPLES / "chelsea.jpg", library / "photo.jpg")
    shutil.copy2(EXAMPLES / "chelsea.jpg", library / "photo_copy.jpg")
    shutil.copy2(EXAMPLES / "coffee.jpg", library / "coffee.jpg")
    assert "1 duplicate group" in find(library, ".", "--json", "r.json", "--keep", "first")
    first = imagededup("act", "r.json", *action, cwd=library)
    assert first.returncode == 0, first.stdout + first.stderr
    assert not (library / "photo_copy.jpg").exists()
    again = find(library, ".", "--json", "r2.json", "--keep", "first")
    assert "0 duplicate groups" in again
    assert "imagededup-trash" not in again and "dups/" not in again
    second = imagededup("act", "r2.json", *action, cwd=library)
    assert second.returncode == 0, second.stdout + second.stderr
    assert (library / "photo.jpg").read_bytes() == (EXAMPLES / "chelsea.jpg").read_bytes()


def test_an_old_result_listing_the_trash_never_keeps_a_file_inside_it(tmp_path):
    """A result written before the trash existed (or by hand) names a file in the trash: that
    file is neither kept nor acted on, so the last copy outside it stays."""
    library = tmp_path / "library"
    (library / "imagededup-trash-1").mkdir(parents=True)
    shutil.copy2(EXAMPLES / "chelsea.jpg", library / "photo.jpg")
    shutil.copy2(EXAMPLES / "chelsea.jpg", library / "imagededup-trash-1" / "photo_copy.jpg")
    (library / "imagededup-trash-1" / ".imagededup-output").write_text("{}")
    result = tmp_path / "r.json"
    names = ["imagededup-trash-1/photo_copy.jpg", "photo.jpg"]
    result.write_text(json.dumps({names[0]: [names[1]], names[1]: [names[0]]}))
    done = imagededup("act", str(result), "--root", str(library), "--delete", "--yes")
    assert done.returncode == 1 and "never kept" in done.stdout
    assert (library / "photo.jpg").exists()
    assert (library / "imagededup-trash-1" / "photo_copy.jpg").exists()


def test_find_does_not_follow_symlinked_folders_unless_asked(tmp_path):
    library, outside = tmp_path / "library", tmp_path / "outside"
    library.mkdir()
    outside.mkdir()
    shutil.copy2(EXAMPLES / "coffee.jpg", library / "coffee.jpg")
    for name in ("a.jpg", "b.jpg"):
        shutil.copy2(EXAMPLES / "chelsea.jpg", outside / name)
    os.symlink(outside, library / "elsewhere")
    assert "1 image, 0 duplicate groups" in find(tmp_path, str(library))
    followed = find(tmp_path, str(library), "--follow-symlinks")
    assert "3 images, 1 duplicate group" in followed
    assert "elsewhere/a.jpg" in followed


def test_names_that_fake_lines_or_drive_the_terminal_are_escaped(tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    fake = "a.jpg  (1x1, 1 B)\n  keep       b"
    names = [f"{fake}.jpg", "\x1b[2J\x1b[Hclear.jpg", "\u202eevil.jpg"]
    for name in names:
        shutil.copy2(EXAMPLES / "rocket.jpg", library / name)
    found = find(tmp_path, str(library), "--json", "r.json")
    dry = imagededup("act", "r.json", "--move-to", "dups", "--dry-run", cwd=tmp_path).stdout
    for output in (found, dry):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", output), output
        assert "\\n  keep       b.jpg" in output
        assert "\\u202eevil.jpg" in output
    assert "\\x1b[2J\\x1b[Hclear.jpg" in found  # kept (sorts first), so not in the plan
    assert found.count("\n") == 1 + 3 + 1 + 1  # group header, 3 files, summary, "wrote"


@pytest.fixture
def two_groups(tmp_path) -> Path:
    library = tmp_path / "library"
    library.mkdir()
    for name in ("a.jpg", "a_copy.jpg"):
        shutil.copy2(EXAMPLES / "chelsea.jpg", library / name)
    for name in ("b.jpg", "b_copy.jpg"):
        shutil.copy2(EXAMPLES / "coffee.jpg", library / name)
    shutil.copy2(EXAMPLES / "chelsea_q25.jpg", library / "a_q25.jpg")
    groups = {"a.jpg": ["a_copy.jpg", "a_q25.jpg"], "b.jpg": ["b_copy.jpg"]}
    (tmp_path / "r.json").write_text(json.dumps(groups))
    return library


def test_one_unreadable_file_leaves_its_group_alone_and_the_rest_go_on(
    two_groups, monkeypatch, capsys
):
    real = safe_fs.sha256_of

    def unreadable(path):
        if Path(path).name == "a_copy.jpg":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(safe_fs, "sha256_of", unreadable)
    result = two_groups.parent / "r.json"
    dups = str(two_groups.parent / "dups")
    code = cli.main(["act", str(result), "--root", str(two_groups), "--move-to", dups])
    out = capsys.readouterr().out
    assert code == 1
    assert "leave a_copy.jpg: cannot be read: Permission denied" in out
    assert "leave a_q25.jpg: another file of its group cannot be read" in out
    assert "moved 1 file" in out and "2 left alone, 0 failed" in out
    assert (two_groups / "a_copy.jpg").exists() and (two_groups / "a_q25.jpg").exists()
    assert not (two_groups / "b_copy.jpg").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_mode_000_file_leaves_its_group_alone(two_groups):
    (two_groups / "a.jpg").chmod(0)
    try:
        done = imagededup(
            "act", "r.json", "--root", "library", "--move-to", "dups", cwd=two_groups.parent
        )
    finally:
        (two_groups / "a.jpg").chmod(0o644)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert (two_groups / "a_copy.jpg").exists() and not (two_groups / "b_copy.jpg").exists()


def test_move_into_a_folder_of_the_users_own_files_is_refused(two_groups, capsys):
    """A marked folder is skipped by every later scan, so it must not swallow a user's folder."""
    mine = two_groups.parent / "mine"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes((EXAMPLES / "rocket.jpg").read_bytes())
    result = two_groups.parent / "r.json"
    code = cli.main(["act", str(result), "--root", str(two_groups), "--move-to", str(mine)])
    assert code == 2
    assert "holds files imagededup did not move there" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["holiday.jpg"]
    assert len(list(two_groups.iterdir())) == 5
