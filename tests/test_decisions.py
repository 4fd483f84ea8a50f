"""Decisions files: checked as untrusted input, applied group by group, acted on end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imagededup import decisions as module
from imagededup.decisions import Decisions, decide, load_decisions, parse_decisions
from imagededup.groups import Group, groups_from_map
from imagededup.images.discover import OUTPUT_MARKER
from tests.conftest import Scanned, imagededup
from tests.test_cli import hashes, manifest_of


def decisions_json(keep: list, remove: list, **extra: object) -> dict:
    return {"format": "imagededup-decisions", "version": 1, "keep": keep, "remove": remove, **extra}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not an imagededup decisions file"),
        ({"format": "imagededup-manifest", "version": 1}, "not an imagededup decisions file"),
        ({**decisions_json([], []), "version": True}, "version True"),
        ({**decisions_json([], []), "version": 2}, "version 2"),
        ({**decisions_json([], []), "version": "1"}, "version '1'"),
        (decisions_json("a.jpg", []), "must be a list"),
        (decisions_json([], [7]), "not a file name"),
        (decisions_json([], [""]), "not a file name"),
        (decisions_json([], ["a\0b"]), "not a file name"),
        (decisions_json([], ["x" * 5000]), "not a file name"),
        (decisions_json([], ["../etc/passwd"]), "not a path inside"),
        (decisions_json([], ["/etc/passwd"]), "not a path inside"),
        (decisions_json(["a.jpg"], ["a.jpg"]), "both in keep and in remove"),
        (decisions_json([], [], script="rm -rf /"), "unknown keys"),
    ],
)
def test_bad_decisions_are_refused_with_the_reason(data, message):
    with pytest.raises(ValueError, match=message):
        parse_decisions(data, "d.json")


def test_a_decisions_file_must_be_small_utf8_json(tmp_path, monkeypatch):
    path = tmp_path / "d.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match="not JSON"):
        load_decisions(path)
    path.write_text("[" * 100_000, encoding="utf-8")  # nesting bomb
    with pytest.raises(ValueError, match="nested too deeply"):
        load_decisions(path)
    path.write_text(json.dumps(decisions_json(["a.jpg"], ["b.jpg"])), encoding="utf-8")
    assert load_decisions(path) == Decisions(frozenset({"a.jpg"}), frozenset({"b.jpg"}))
    monkeypatch.setattr(module, "MAX_BYTES", 10)
    with pytest.raises(ValueError, match="larger than 10 bytes"):
        load_decisions(path)


GROUPS = [
    Group(["a/1.jpg", "a/2.jpg", "a/3.jpg"], ["a/2.jpg"]),
    Group(["b/1.jpg", "ref/b.jpg"], ["ref/b.jpg"], frozenset({"ref/b.jpg"})),
    Group(["c/1.jpg", "c/2.jpg"], ["c/1.jpg"]),
]


def test_decisions_override_the_policy_file_by_file():
    chosen = Decisions(keep=frozenset({"a/3.jpg"}), remove=frozenset({"a/2.jpg", "ref/b.jpg"}))
    decided = decide(GROUPS, chosen)
    a, b, c = decided.groups
    assert a.keep == ["a/3.jpg"] and a.remove == ["a/1.jpg", "a/2.jpg"]
    assert b.keep == ["ref/b.jpg"] and b.remove == ["b/1.jpg"]  # references are never removed
    assert c == GROUPS[2]  # undecided: the policy's choice
    assert decided.messages == ["leave ref/b.jpg: in a reference folder, never removed"]
    assert decided.left_alone == 1


def test_keeping_more_than_one_file_keeps_the_policy_choice_first():
    decided = decide(GROUPS, Decisions(keep=frozenset({"a/1.jpg"})))
    assert decided.groups[0].keep == ["a/2.jpg", "a/1.jpg"]  # a/2 stays the hard-link target
    assert decided.groups[0].remove == ["a/3.jpg"]


def test_a_group_that_would_lose_every_file_is_left_alone():
    # removing the policy's choice leaves the others to the policy, which removes them too
    decided = decide(GROUPS, Decisions(remove=frozenset({"c/1.jpg"})))
    assert [group.files for group in decided.groups] == [GROUPS[0].files, GROUPS[1].files]
    assert decided.messages == [
        "leave group of c/1.jpg, c/2.jpg: the decisions remove every file of it"
    ]
    assert decided.left_alone == 2


def test_names_that_are_in_no_group_are_an_error():
    with pytest.raises(ValueError, match=r"in no group of the result, e\.g\. 'z\.jpg'"):
        decide(GROUPS, Decisions(keep=frozenset({"z.jpg"})))


@pytest.fixture
def library(scanned: Scanned, tmp_path: Path) -> Path:
    """A copy of the scanned library and its result files, to act on."""
    shutil.copytree(scanned.library, tmp_path / "library")
    for name in ("result.json", "result.scan.json"):
        shutil.copy(scanned.base / name, tmp_path / name)
    return tmp_path


def test_act_on_decisions_then_undo(library):
    groups = groups_from_map(json.loads((library / "result.json").read_text()))
    astronaut = next(g for g in groups if "photos/astronaut.jpg" in g)
    coffee = next(g for g in groups if "photos/coffee.jpg" in g)
    chelsea = next(g for g in groups if "photos/chelsea.jpg" in g)
    keep = "photos/astronaut_q30.jpg"  # the worst copy: only a person would keep it
    decisions = decisions_json([keep], [n for n in astronaut if n != keep] + coffee)
    (library / "d.json").write_text(json.dumps(decisions), encoding="utf-8")
    before = hashes(library / "library")

    run = imagededup(
        "act",
        "result.json",
        "--root",
        "library",
        "--move-to",
        "dups",
        "--decisions",
        "d.json",
        cwd=library,
    )
    assert run.returncode == 1, run.stdout + run.stderr  # the coffee group is left alone
    assert "the decisions remove every file of it" in run.stdout
    after = hashes(library / "library")
    assert [n for n in astronaut if n in after] == [keep]
    assert all(name in after for name in coffee)
    assert [n for n in chelsea if n in after] == ["archive/chelsea_original.jpg"]  # the policy
    stored = hashes(library / "dups")
    moved = {k: v for k, v in stored.items() if not k.startswith(("imagededup-", OUTPUT_MARKER))}
    assert moved == {name: before[name] for name in before if name not in after}

    undone = imagededup("undo", manifest_of(run.stdout), cwd=library)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert hashes(library / "library") == before


@pytest.mark.parametrize(
    ("decisions", "message"),
    [
        (decisions_json(["photos/nowhere.jpg"], []), "in no group of the result"),
        (decisions_json([], ["../outside.jpg"]), "not a path inside the scanned folder"),
        ({"format": "imagededup-decisions", "version": 9}, "version 9"),
    ],
)
def test_act_refuses_bad_decisions_and_changes_nothing(library, decisions, message):
    (library / "d.json").write_text(json.dumps(decisions), encoding="utf-8")
    before = hashes(library)
    run = imagededup(
        "act", "result.json", "--delete", "--yes", "--decisions", "d.json", cwd=library
    )
    assert run.returncode == 2
    assert message in run.stderr and len(run.stderr.splitlines()) == 1
    assert hashes(library) == before


def test_names_of_groups_left_alone_earlier_are_not_unknown():
    everything = [name for group in GROUPS for name in group.files]
    decided = decide(GROUPS[:1], Decisions(keep=frozenset({"c/2.jpg"})), everything)
    assert decided.groups == GROUPS[:1] and not decided.messages
