"""Crafted JSON for ``act``, ``undo`` and ``evaluate``: path escapes, symbolic links in and out of
the root, swapped fields, wrong types, huge and deeply nested documents. Each is refused in one
line with exit code 2 (or, for a file it may not touch, left alone with exit code 1), never a
traceback, and no file outside the root changes."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from imagededup import cli
from imagededup.actions import apply, fresh_names, plan
from imagededup.groups import Group
from imagededup.images.info import sha256_file
from tests.conftest import EXAMPLES

DEEP = "[" * 200_000 + "]" * 200_000


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, err: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("imagededup: error: "), err
    assert "Traceback" not in err


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def done(tmp_path) -> tuple[Path, dict, Path]:
    """A real ``move`` run: (base folder, its manifest as JSON, the manifest path); ``victim``
    is a folder outside the root with a file a crafted manifest would like to overwrite."""
    root = tmp_path / "library"
    root.mkdir()
    for name in ("chelsea.jpg", "chelsea_q25.jpg", "coffee.jpg", "coffee_grey.jpg"):
        shutil.copy2(EXAMPLES / name, root / name)
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / ".bashrc").write_text("export PATH=/usr/bin\n")
    groups = [
        Group(["chelsea.jpg", "chelsea_q25.jpg"], ["chelsea.jpg"]),
        Group(["coffee.jpg", "coffee_grey.jpg"], ["coffee.jpg"]),
    ]
    storage = tmp_path / "dups"
    manifest, _ = fresh_names(storage)
    apply(plan("move", groups, root, storage, {}), manifest, root, storage)
    return tmp_path, json.loads(manifest.read_text()), manifest


def edit_first(change: Callable[[dict, Path], None]) -> Callable[[dict, Path], None]:
    def edit(data: dict, base: Path) -> None:
        change(data["entries"][0], base)

    return edit


MANIFESTS: dict[str, Callable[[dict, Path], object]] = {
    "entries [{}]": lambda d, b: d.update(entries=[{}]),
    "no entries": lambda d, b: d.pop("entries"),
    "entries not a list": lambda d, b: d.update(entries="all"),
    "entry not an object": lambda d, b: d.update(entries=[5]),
    "size as text": edit_first(lambda e, b: e.update(size="12")),
    "group true": edit_first(lambda e, b: e.update(group=True)),
    "sha256 not hex": edit_first(lambda e, b: e.update(sha256="x" * 64)),
    "file a number": edit_first(lambda e, b: e.update(file=5)),
    "file with ..": edit_first(lambda e, b: e.update(file=f"{b}/library/../victim/.bashrc")),
    "file outside the root": edit_first(lambda e, b: e.update(file=f"{b}/victim/.bashrc")),
    "relative file": edit_first(lambda e, b: e.update(file="victim/.bashrc")),
    "stored outside storage": edit_first(lambda e, b: e.update(stored=f"{b}/victim/.bashrc")),
    "file and stored swapped": edit_first(
        lambda e, b: e.update(file=e["stored"], stored=e["file"])
    ),
    "kept is the file": edit_first(lambda e, b: e.update(kept=e["file"])),
    "action of another entry": edit_first(lambda e, b: e.update(action="hardlink")),
    "repeated entry": lambda d, b: d["entries"].append(dict(d["entries"][0])),
    "root is /": lambda d, b: d.update(root="/"),
    "root and storage swapped": lambda d, b: d.update(root=d["storage"], storage=d["root"]),
    "storage an unmarked folder": lambda d, b: d.update(storage=f"{b}/victim"),
    "unknown action": lambda d, b: d.update(action="shred"),
    "version 1": lambda d, b: d.update(version=1),
    "folders outside storage": lambda d, b: d.update(folders=[f"{b}/victim"]),
    "huge": lambda d, b: d.update(entries=[{"file": 1}] * 300_000),
}


@pytest.mark.parametrize("crafted", MANIFESTS)
def test_crafted_manifest_is_refused_and_nothing_changes(done, capsys, crafted):
    base, data, manifest = done
    MANIFESTS[crafted](data, base)
    manifest.write_text(json.dumps(data))
    before = tree(base)
    code, _, err = run(capsys, "undo", str(manifest))
    assert_refused(code, err)
    assert tree(base) == before


@pytest.mark.parametrize(
    "text",
    [DEEP, '{"format": "imagededup-manifest", "version": 2, "x": ' + DEEP + "}", "\xff\xfe"],
)
def test_deep_or_undecodable_manifest_is_refused(done, capsys, text):
    manifest = done[2]
    manifest.write_bytes(text.encode("latin-1"))
    assert_refused(*run(capsys, "undo", str(manifest))[::2])


def test_manifest_pointed_at_a_dotfile_never_overwrites_it(done, capsys):
    """Root moved to the victim's folder: the entry keeps its shape, but its stored copy is
    not there, and the file that is there is never replaced."""
    base, data, manifest = done
    victim = base / "victim" / ".bashrc"
    entry = data["entries"][0]
    data["root"] = str(victim.parent)
    entry.update(
        file=str(victim),
        kept=str(victim.parent / "kept.jpg"),
        stored=f"{data['storage']}/.bashrc",
    )
    data["entries"] = [entry]
    shutil.copy(base / "dups" / "chelsea_q25.jpg", base / "dups" / ".bashrc")
    manifest.write_text(json.dumps(data))
    before = victim.read_bytes()
    code, out, _ = run(capsys, "undo", str(manifest))
    assert code == 1 and "never overwritten" in out
    assert victim.read_bytes() == before


def test_symlinked_folder_in_root_reaching_out_is_refused(done, capsys):
    base, data, manifest = done
    root = Path(data["root"])
    os.symlink(base / "victim", root / "elsewhere")
    data["entries"][0]["file"] = str(root / "elsewhere" / "x.jpg")
    data["entries"][0]["stored"] = f"{data['storage']}/elsewhere/x.jpg"
    manifest.write_text(json.dumps(data))
    before = tree(base / "victim")
    code, _, err = run(capsys, "undo", str(manifest))
    assert_refused(code, err)
    assert "symbolic link" in err
    assert tree(base / "victim") == before


def test_symlinked_storage_is_refused(done, capsys):
    base, data, manifest = done
    os.symlink(base / "dups", base / "dups-link")
    data["storage"] = str(base / "dups-link")
    for entry in data["entries"]:
        entry["stored"] = entry["stored"].replace(str(base / "dups"), str(base / "dups-link"))
    manifest.write_text(json.dumps(data))
    assert_refused(*run(capsys, "undo", str(manifest))[::2])


@pytest.fixture
def result(tmp_path) -> Path:
    """A library with a pair of copies and a result with a scan record, by ``find``'s rules."""
    root = tmp_path / "library"
    root.mkdir()
    shutil.copy2(EXAMPLES / "chelsea.jpg", root / "a.jpg")
    shutil.copy2(EXAMPLES / "chelsea.jpg", root / "b.jpg")
    out = tmp_path / "r.json"
    out.write_text(json.dumps({"a.jpg": [["b.jpg", 1.0]], "b.jpg": [["a.jpg", 1.0]]}))
    facts = {"size": 1, "mtime": 0.0, "width": 1, "height": 1}
    record = {
        "format": "imagededup-scan",
        "version": 1,
        "root": str(root),
        "method": "cnn",
        "threshold": None,
        "keep": "first",
        "references": [],
        "files": {n: {**facts, "sha256": sha256_file(root / n)} for n in ("a.jpg", "b.jpg")},
    }
    (tmp_path / "r.scan.json").write_text(json.dumps(record))
    return out


RECORDS: dict[str, Callable[[dict], object]] = {
    "root a number": lambda r: r.update(root=5),
    "relative root": lambda r: r.update(root="library"),
    "root and method swapped": lambda r: r.update(root=r["method"], method=r["root"]),
    "threshold as text": lambda r: r.update(threshold="high"),
    "references a string": lambda r: r.update(references="archive"),
    "reference escaping": lambda r: r.update(references=["../victim"]),
    "files a list": lambda r: r.update(files=["a.jpg"]),
    "size as text": lambda r: r["files"]["a.jpg"].update(size="big"),
    "size negative": lambda r: r["files"]["a.jpg"].update(size=-1),
    "sha256 a number": lambda r: r["files"]["a.jpg"].update(sha256=5),
    "missing width": lambda r: r["files"]["a.jpg"].pop("width"),
    "extra field": lambda r: r["files"]["a.jpg"].update(owner="me"),
    "file name escaping": lambda r: r["files"].update({"../x.jpg": r["files"]["a.jpg"]}),
    "nested deeply": lambda r: r.update(files=json.loads("[" * 50 + "]" * 50)),
}


@pytest.mark.parametrize("crafted", RECORDS)
def test_crafted_scan_record_is_refused(result, capsys, crafted):
    path = result.with_name("r.scan.json")
    record = json.loads(path.read_text())
    RECORDS[crafted](record)
    path.write_text(json.dumps(record))
    before = tree(result.parent)
    assert_refused(*run(capsys, "act", str(result), "--move-to", str(result.parent / "d"))[::2])
    assert tree(result.parent) == before


@pytest.mark.parametrize(
    "text",
    [
        DEEP,
        '{"a.jpg": ' + DEEP + "}",
        '{"a.jpg": [["b.jpg", "0.9"]]}',
        '{"a.jpg": [["b.jpg", true]]}',
        '{"a.jpg": [["b.jpg"]]}',
        '{"a.jpg": {"b.jpg": 1}}',
        '{"a.jpg": ["/etc/passwd"]}',
        "\xff",
    ],
)
@pytest.mark.parametrize("command", ["act", "evaluate truth", "evaluate result"])
def test_crafted_duplicate_map_is_refused(tmp_path, capsys, text, command):
    crafted, good = tmp_path / "crafted.json", tmp_path / "good.json"
    crafted.write_bytes(text.encode("latin-1"))
    good.write_text('{"a.jpg": ["b.jpg"], "b.jpg": ["a.jpg"]}')
    if command == "act":
        args = ["act", str(crafted), "--root", str(tmp_path), "--move-to", str(tmp_path / "d")]
    elif command == "evaluate truth":
        args = ["evaluate", str(crafted), str(good)]
    else:
        args = ["evaluate", str(good), str(crafted)]
    assert_refused(*run(capsys, *args)[::2])
    assert not (tmp_path / "d").exists()


def test_result_reaching_out_through_a_symlinked_folder_is_left_alone(tmp_path, capsys):
    root, outside = tmp_path / "library", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    for name in ("a.jpg", "b.jpg"):
        shutil.copy2(EXAMPLES / "coffee.jpg", outside / name)
    os.symlink(outside, root / "elsewhere")
    result = tmp_path / "r.json"
    result.write_text(json.dumps({"elsewhere/a.jpg": ["elsewhere/b.jpg"]}))
    before = tree(outside)
    code, out, _ = run(capsys, "act", str(result), "--root", str(root), "--delete", "--yes")
    assert code == 1
    assert "symbolic link" in out
    assert tree(outside) == before


def test_a_kept_symlink_never_loses_its_target(tmp_path, capsys):
    """``k.jpg`` (shortest name, kept in its group) links to ``target.jpg``, a duplicate that
    another group would remove (a result from ``find --follow-symlinks``, or hand-made)."""
    root = tmp_path / "library"
    root.mkdir()
    for name in ("target.jpg", "t.jpg", "copy-of-it.jpg"):
        shutil.copy2(EXAMPLES / "rocket.jpg", root / name)
    os.symlink("target.jpg", root / "k.jpg")
    result = tmp_path / "r.json"
    result.write_text(json.dumps({"k.jpg": ["copy-of-it.jpg"], "t.jpg": ["target.jpg"]}))
    code, out, _ = run(
        capsys, "act", str(result), "--root", str(root), "--keep", "shortest-path",
        "--delete", "--yes",
    )  # fmt: skip
    assert code == 1, out
    assert "leave target.jpg: the kept file k.jpg is a symbolic link to it" in out
    assert (root / "k.jpg").read_bytes() == (EXAMPLES / "rocket.jpg").read_bytes()
    assert not (root / "copy-of-it.jpg").exists()
