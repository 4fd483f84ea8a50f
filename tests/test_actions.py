"""File actions on real photos: plans change nothing, undo restores every byte, nothing is
ever overwritten, changed files are left alone."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from imagededup import actions
from imagededup.actions import apply, fresh_names, plan, plan_undo, undo
from imagededup.actions.base import move_aside
from imagededup.groups import Group
from imagededup.images.info import sha256_file
from tests.conftest import EXAMPLES

FILES = {
    "astronaut.jpg": "astronaut.jpg",
    "sub/astronaut_cropped.jpg": "astronaut_cropped.jpg",
    "chelsea.jpg": "chelsea.jpg",
    "chelsea_q25.jpg": "chelsea_q25.jpg",
    "sub/deeper/chelsea_small.jpg": "chelsea_small.jpg",
}
GROUPS = [
    Group(["astronaut.jpg", "sub/astronaut_cropped.jpg"], ["astronaut.jpg"]),
    Group(["chelsea.jpg", "chelsea_q25.jpg", "sub/deeper/chelsea_small.jpg"], ["chelsea.jpg"]),
]
DUPLICATES = ["sub/astronaut_cropped.jpg", "chelsea_q25.jpg", "sub/deeper/chelsea_small.jpg"]


@pytest.fixture
def root(tmp_path) -> Path:
    folder = tmp_path / "lib"
    for name, source in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(EXAMPLES / source, folder / name)
    return folder


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder``: content hash and modification time."""
    return {
        path.relative_to(folder).as_posix(): (sha256_file(path), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def recorded(root: Path) -> dict[str, str]:
    return {name: sha256_file(root / name) for name in FILES}


def storage_for(action: str, root: Path) -> tuple[Path, Path]:
    """(manifest, storage) as the command line picks them."""
    if action == "move":
        manifest, _ = fresh_names(root.parent / "dups")
        return manifest, root.parent / "dups"
    return fresh_names(root.parent)


@pytest.mark.parametrize("action", actions.ACTIONS)
def test_plan_changes_nothing_and_apply_then_undo_restores_every_byte(root, action):
    before = snapshot(root.parent)
    manifest, storage = storage_for(action, root)
    steps = plan(action, GROUPS, root, storage, recorded(root))
    assert [step.file for step in steps] == [root / name for name in DUPLICATES]
    assert all(step.skip is None and step.sha256 for step in steps)
    assert snapshot(root.parent) == before

    outcomes = apply(steps, manifest, root, storage)
    assert [outcome.error for outcome in outcomes] == [None] * 3
    data = json.loads(manifest.read_text())
    assert data["action"] == action and data["tool_version"] and data["created"]
    assert [entry["status"] for entry in data["entries"]] == ["done"] * 3
    for step in steps:
        assert sha256_file(step.stored) == step.sha256  # original bytes kept aside
        if action == "hardlink":
            assert os.path.samefile(step.file, step.kept)
        else:
            assert not step.file.exists()
    if action == "hardlink":
        assert plan(action, GROUPS, root, storage, {}) == []  # all linked: nothing left to do

    outcomes = undo(*plan_undo(manifest), manifest)
    assert [outcome.error for outcome in outcomes] == [None] * 3
    after = snapshot(root.parent)
    assert {k: v for k, v in after.items() if not k.startswith(("dups/", "imagededup-"))} == before
    assert not any(path.name.startswith("imagededup-trash") for path in root.parent.iterdir())
    assert json.loads(manifest.read_text())["undone"]
    assert plan_undo(manifest)[1] == []  # a second undo has nothing left to do


def test_copy_when_hard_links_are_impossible(root, monkeypatch):
    def no_links(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    before = snapshot(root)
    manifest, storage = storage_for("delete", root)
    steps = plan("delete", GROUPS, root, storage, recorded(root))
    assert all(outcome.error is None for outcome in apply(steps, manifest, root, storage))
    assert not any((root / name).exists() for name in DUPLICATES)
    assert all(outcome.error is None for outcome in undo(*plan_undo(manifest), manifest))
    assert snapshot(root) == before  # bytes and modification times


def test_hardlink_needs_links(root, monkeypatch):
    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    before = snapshot(root)
    manifest, storage = storage_for("hardlink", root)
    steps = plan("hardlink", GROUPS, root, storage, {})
    outcomes = apply(steps, manifest, root, storage)
    assert all("not permitted" in outcome.error for outcome in outcomes)
    assert snapshot(root) == before
    assert not any(storage.rglob("*.jpg"))


def test_existing_destination_is_never_overwritten(root):
    manifest, storage = storage_for("move", root)
    (storage / "chelsea_q25.jpg").parent.mkdir(parents=True)
    (storage / "chelsea_q25.jpg").write_bytes(b"someone else's file")
    steps = plan("move", GROUPS, root, storage, recorded(root))
    assert [step.skip is None for step in steps] == [True, False, True]
    assert "never overwritten" in steps[1].skip
    apply(steps, manifest, root, storage)
    assert (storage / "chelsea_q25.jpg").read_bytes() == b"someone else's file"
    assert (root / "chelsea_q25.jpg").exists()


def test_changed_kept_file_refuses_its_group_and_changed_duplicate_is_left(root):
    hashes = recorded(root)
    with (root / "chelsea.jpg").open("ab") as handle:
        handle.write(b"edited")
    with (root / "sub/astronaut_cropped.jpg").open("ab") as handle:
        handle.write(b"edited")
    steps = plan("move", GROUPS, root, root.parent / "dups", hashes)
    assert [step.skip for step in steps] == [
        "changed since the scan",
        "kept file chelsea.jpg changed since the scan",
        "kept file chelsea.jpg changed since the scan",
    ]


def test_missing_kept_file_refuses_its_group_without_a_record(root):
    (root / "astronaut.jpg").unlink()
    steps = plan("delete", GROUPS, root, root.parent / "trash", {})
    assert steps[0].skip == "kept file astronaut.jpg no longer exists"
    assert [step.skip for step in steps[1:]] == [None, None]


def test_symbolic_links_are_left_alone(root):
    (root / "chelsea_q25.jpg").unlink()
    (root / "chelsea_q25.jpg").symlink_to(root / "chelsea.jpg")
    steps = plan("delete", GROUPS, root, root.parent / "trash", {})
    assert "symbolic link" in steps[1].skip


def test_interrupted_run_can_be_undone(root, monkeypatch):
    before = snapshot(root)
    manifest, storage = storage_for("move", root)
    steps = plan("move", GROUPS, root, storage, recorded(root))
    calls = []

    def interrupted_after_one(step):
        if calls:
            raise KeyboardInterrupt
        calls.append(step)
        move_aside(step)

    monkeypatch.setattr(actions.ACTIONS["move"], "apply", interrupted_after_one)
    with pytest.raises(KeyboardInterrupt):
        apply(steps, manifest, root, storage)
    data = json.loads(manifest.read_text())
    assert {entry["status"] for entry in data["entries"]} == {"planned"}
    assert len(plan_undo(manifest)[1]) == 1  # the other two are still in place
    undo(*plan_undo(manifest), manifest)
    assert snapshot(root) == before


def test_undo_never_overwrites_a_file_that_came_back(root):
    manifest, storage = storage_for("move", root)
    apply(plan("move", GROUPS, root, storage, {}), manifest, root, storage)
    (root / "chelsea_q25.jpg").write_bytes(b"new file with the old name")
    record, steps = plan_undo(manifest)
    assert [step.skip is None for step in steps] == [True, False, True]
    assert "never overwritten" in steps[1].skip
    undo(record, steps, manifest)
    assert (root / "chelsea_q25.jpg").read_bytes() == b"new file with the old name"
    assert (storage / "chelsea_q25.jpg").exists()
    assert "not restored" in json.loads(manifest.read_text())["entries"][1]["status"]


def test_manifest_names_are_fresh(tmp_path):
    first, trash = fresh_names(tmp_path)
    first.write_text("{}")
    second, _ = fresh_names(tmp_path)
    assert first != second and first.parent == trash.parent == tmp_path
    assert not trash.exists()


@pytest.mark.parametrize("left", [0, 1000])
def test_undo_replaces_a_partial_copy_left_at_the_original_name(root, left):
    """A 0-byte or cut-short copy at the original name (what an interrupted copy of an older
    version left) holds nothing the stored original lacks: undo replaces it."""
    manifest, storage = storage_for("delete", root)
    apply(plan("delete", GROUPS, root, storage, recorded(root)), manifest, root, storage)
    original = (EXAMPLES / "chelsea_q25.jpg").read_bytes()
    (root / "chelsea_q25.jpg").write_bytes(original[:left])
    record, steps = plan_undo(manifest)
    assert all(step.skip is None for step in steps)
    assert all(outcome.error is None for outcome in undo(record, steps, manifest))
    assert (root / "chelsea_q25.jpg").read_bytes() == original
