"""The command line end to end, in fresh processes, on real photos: find, act, undo, exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imagededup import cli
from imagededup.images.info import sha256_file
from tests.conftest import EXAMPLES, ORIGINALS, TRANSFORMS, Scanned, imagededup


def hashes(folder: Path) -> dict[str, str]:
    """Content hash of every file under ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def manifest_of(stdout: str) -> str:
    return re.search(r"^manifest: (.+)$", stdout, re.MULTILINE).group(1)


@pytest.fixture
def work(scanned: Scanned, tmp_path: Path) -> Path:
    """A copy of the scanned library and its result files, to act on."""
    shutil.copytree(scanned.library, tmp_path / "library")
    shutil.copy(scanned.result, tmp_path / "result.json")
    shutil.copy(scanned.result.with_name("result.scan.json"), tmp_path / "result.scan.json")
    return tmp_path


def act(work: Path, *args: str, **kwargs):
    return imagededup("act", "result.json", "--root", "library", *args, cwd=work, **kwargs)


def test_find_prints_groups_and_writes_json_with_scan_record(scanned):
    groups = re.findall(r"^group \d+ of (\d+):$", scanned.stdout, re.MULTILINE)
    assert len(groups) == 3
    assert "24 images, 3 duplicate groups, 19 duplicates to remove" in scanned.stdout
    assert "reclaimable" in scanned.stdout and "0 skipped" in scanned.stdout
    assert re.search(r"^  reference  archive/chelsea_original\.jpg ", scanned.stdout, re.M)

    duplicates = json.loads(scanned.result.read_text())  # imagededup's format
    assert all(isinstance(s, float) for found in duplicates.values() for _, s in found)
    chelsea = {other for other, _ in duplicates["archive/chelsea_original.jpg"]}
    assert chelsea == {"photos/chelsea.jpg"} | {
        f"photos/{'2024/' if label in ('half', 'crop') else ''}chelsea_{label}.jpg"
        for label in TRANSFORMS
    }
    record = json.loads(scanned.result.with_name("result.scan.json").read_text())
    assert record["root"] == str(scanned.library)
    assert record["references"] == ["archive"]
    assert record["keep"] == "best"
    assert len(record["files"]) == 22  # the files of the three groups
    facts = record["files"]["photos/2024/chelsea_half.jpg"]
    assert facts["sha256"] == sha256_file(scanned.library / "photos/2024/chelsea_half.jpg")
    assert facts["width"] > 0 and facts["size"] > 0


def test_find_act_dry_run_move_and_undo_in_place(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "lib")
    before = hashes(tmp_path / "lib")
    found = imagededup("find", "lib", "--json", "r.json", "--fail-on-duplicates", cwd=tmp_path)
    assert found.returncode == 1, found.stderr  # duplicates found
    assert "11 images, 3 duplicate groups, 6 duplicates to remove" in found.stdout
    assert "Encoding" in found.stderr  # progress on stderr, summary on stdout
    assert hashes(tmp_path / "lib") == before

    dry = imagededup("act", "r.json", "--move-to", "dups", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert len(re.findall(r"^would move ", dry.stdout, re.MULTILINE)) == 6
    assert hashes(tmp_path / "lib") == before
    assert not (tmp_path / "dups").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib", "r.json", "r.scan.json"]

    moved = imagededup("act", "r.json", "--move-to", "dups", cwd=tmp_path)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    left = hashes(tmp_path / "lib")
    gone = {name: sha for name, sha in before.items() if name not in left}
    assert len(gone) == 6
    assert {name: sha256_file(tmp_path / "dups" / name) for name in gone} == gone

    undone = imagededup("undo", manifest_of(moved.stdout), cwd=tmp_path)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "restored 6 files; 0 could not be restored" in undone.stdout
    assert hashes(tmp_path / "lib") == before


def test_delete_with_yes_then_undo(work):
    before = hashes(work / "library")
    deleted = act(work, "--delete", "--yes")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert "moved 19 files" in deleted.stdout
    assert len(hashes(work / "library")) == len(before) - 19
    trash = next(work.glob("imagededup-trash-*"))
    manifest = manifest_of(deleted.stdout)
    assert Path(manifest).parent == work  # beside RESULT.json
    assert imagededup("undo", manifest).returncode == 0
    assert hashes(work / "library") == before
    assert not trash.exists()


def test_delete_without_yes_refuses_when_nobody_can_confirm(work):
    before = hashes(work)
    refused = act(work, "--delete")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert hashes(work) == before


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code", "moved"), [("n\n", 1, False), ("yes\n", 0, True)])
def test_delete_asks_on_a_terminal(work, monkeypatch, capsys, answer, code, moved):
    monkeypatch.chdir(work)
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    before = hashes(work / "library")
    assert cli.main(["act", "result.json", "--root", "library", "--delete"]) == code
    assert "into the trash folder" in capsys.readouterr().out
    assert (hashes(work / "library") != before) is moved


def test_hardlink_then_undo(work):
    library = work / "library"
    before = hashes(library)
    linked = act(work, "--hardlink", "--keep", "shortest-path")
    assert linked.returncode == 0, linked.stdout + linked.stderr
    for name in ORIGINALS[:3]:
        kept = library / "photos" / f"{name}.jpg"
        if name == "chelsea":
            kept = library / "archive" / "chelsea_original.jpg"
        copies = [p for p in library.rglob(f"{name}_*.jpg") if p.parent.name != "archive"]
        assert len(copies) == 6
        assert all(p.samefile(kept) for p in copies)
    assert hashes(library) != before
    assert imagededup("undo", manifest_of(linked.stdout)).returncode == 0
    assert hashes(library) == before
    inodes = {p.stat().st_ino for p in library.rglob("*.jpg")}
    assert len(inodes) == len(before)


def test_reference_folder_is_never_touched(work):
    archive = hashes(work / "library" / "archive")
    moved = act(work, "--move-to", "dups", "--keep", "largest-file")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert hashes(work / "library" / "archive") == archive
    assert not (work / "library" / "photos" / "chelsea.jpg").exists()  # archive copy kept
    assert not list((work / "dups").rglob("archive"))


def test_changed_kept_file_leaves_its_group_alone(work):
    kept = work / "library" / "photos" / "astronaut.jpg"
    kept.write_bytes(kept.read_bytes() + b"edited")
    moved = act(work, "--move-to", "dups", "--keep", "shortest-path")
    assert moved.returncode == 1  # some files left alone
    assert "kept file photos/astronaut.jpg changed since the scan" in moved.stdout
    assert "moved 13 files" in moved.stdout and "6 left alone" in moved.stdout
    assert len(list((work / "library").rglob("astronaut*.jpg"))) == 7


def test_plain_imagededup_json_needs_root(work):
    (work / "result.scan.json").unlink()  # as written by the API: a duplicate map only
    refused = imagededup("act", "result.json", "--move-to", "dups", cwd=work)
    assert refused.returncode == 2
    assert "--root" in refused.stderr
    dry = act(work, "--move-to", "dups", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert len(re.findall(r"^would move ", dry.stdout, re.MULTILINE)) == 19


def test_no_duplicates_with_fail_on_duplicates_exits_0(tmp_path):
    for name in ("rocket.jpg", "hubble_deep_field.jpg"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    found = imagededup("find", str(tmp_path), "--fail-on-duplicates", "--quiet")
    assert found.returncode == 0, found.stderr
    assert "2 images, 0 duplicate groups" in found.stdout
    assert found.stderr == ""  # --quiet: no progress bars


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("imagededup")
    shown = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert shown.stdout.startswith("imagededup ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["find", "nowhere"], "no such folder: nowhere"),
        (["find", "r.json"], "not a folder: r.json"),
        (["find", ".", "--threshold", "15"], "between -1.0 and 1.0"),
        (["find", ".", "--threshold", "high"], "--threshold high"),
        (["find", ".", "--json", "no/such/dir/out.json"], "folder does not exist"),
        (["act", "missing.json", "--delete", "--yes"], "no such result file"),
        (["act", "notjson.json", "--move-to", "d"], "is not JSON"),
        (["act", "list.json", "--move-to", "d"], "not a duplicate map"),
        (["act", "numbers.json", "--move-to", "d"], "not a duplicate map"),
        (["act", "r.json", "--move-to", "d", "--root", "nowhere"], "no such folder: nowhere"),
        (["act", "r.json", "--move-to", "r.json", "--root", "."], "not a folder"),
        (["act", "escape.json", "--move-to", "d", "--root", "."], "not a path inside"),
        (["act", "broken.json", "--move-to", "d"], "not a valid imagededup scan record"),
        (["undo", "missing.json"], "no such manifest"),
        (["undo", "r.json"], "not an imagededup manifest"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "r.json").write_text('{"a.jpg": [["b.jpg", 0.9]], "b.jpg": [["a.jpg", 0.9]]}')
    (tmp_path / "notjson.json").write_text("{oops")
    (tmp_path / "list.json").write_text('["a.jpg"]')
    (tmp_path / "numbers.json").write_text('{"a.jpg": [5]}')
    (tmp_path / "escape.json").write_text('{"a.jpg": ["../../etc/hostname"]}')
    (tmp_path / "broken.json").write_text("{}")
    (tmp_path / "broken.scan.json").write_text('{"format": "imagededup-scan", "version": 1}')
    failed = imagededup(*args, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1, failed.stderr
    assert failed.stderr.startswith("imagededup: error: ")
    assert message in failed.stderr


@pytest.mark.parametrize("args", [[], ["find"], ["act", "r.json"], ["find", ".", "--keep", "x"]])
def test_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(args)
    assert exited.value.code == 2
    assert "usage: imagededup" in capsys.readouterr().err


def test_find_keeps_an_embedding_cache_unless_told_not_to(tmp_path):
    library = tmp_path / "library"
    shutil.copytree(EXAMPLES, library)
    cache = tmp_path / "embeddings.sqlite"
    first = imagededup("find", str(library), "--cache", str(cache), "--quiet", cwd=tmp_path)
    assert first.returncode == 0 and cache.stat().st_size > 0
    again = imagededup("find", str(library), "--cache", str(cache), "--quiet", cwd=tmp_path)
    assert again.stdout == first.stdout
    other = tmp_path / "unused.sqlite"
    none = imagededup("find", str(library), "--cache", str(other), "--no-cache", "-q", cwd=tmp_path)
    assert none.stdout == first.stdout and not other.exists()


def test_hash_method_plots_and_evaluate(tmp_path):
    library = tmp_path / "library"
    shutil.copytree(EXAMPLES, library)
    common = ["--no-cache", "--quiet"]
    hashed = imagededup(
        "find", str(library), "--method", "phash", "--json", "p.json", "--plot", "plots",
        *common, cwd=tmp_path,
    )  # fmt: skip
    assert hashed.returncode == 0, hashed.stderr
    assert "distance" in hashed.stdout
    groups = len(re.findall(r"^group \d+ of", hashed.stdout, re.M))
    assert groups >= 1
    pngs = sorted((tmp_path / "plots").glob("group-*.png"))
    assert len(pngs) == groups and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    imagededup("find", str(library), "--json", "c.json", *common, cwd=tmp_path)
    scored = imagededup("evaluate", "c.json", "p.json", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert re.search(r"^precision: [0-9.]+, [0-9.]+$", scored.stdout, re.M)
    perfect = imagededup("evaluate", "c.json", "c.json", "--metric", "map", cwd=tmp_path)
    assert perfect.stdout.strip() == "map: 1.0000"
    bad = imagededup("find", str(library), "--method", "phash", "--threshold", "x", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_find_prints_file_names_that_are_not_utf8(tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    shutil.copy(EXAMPLES / "chelsea.jpg", library / "chelsea.jpg")
    shutil.copy(EXAMPLES / "chelsea_small.jpg", os.fsencode(library) + b"/caf\xe9.jpg")
    found = imagededup("find", str(library), "--no-cache", "--quiet", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert r"caf\udce9.jpg" in found.stdout  # shown escaped, not a crash
    assert "1 duplicate group" in found.stdout
