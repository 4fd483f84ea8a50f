"""Keep policies, reference folders and reclaimable bytes: groups.py on its own, then via CNN."""

from __future__ import annotations

import os

import numpy as np
import pytest

from imagededup.groups import (
    files_to_remove,
    groups_from_map,
    keep_group,
    reclaimable_bytes,
)
from imagededup.images.info import FileInfo, file_info
from imagededup.search.pairs import Pairs
from tests.conftest import ORIGINALS

# name -> (size, mtime, width, height); "b" and "c" tie on resolution, "a" and "c" on size
FACTS = {
    "a/photo.jpg": FileInfo(500, 300.0, 100, 100),
    "b/photo_copy.jpg": FileInfo(400, 100.0, 200, 100),
    "photo.png": FileInfo(500, 200.0, 200, 100),
    "deep/er/p.jpg": FileInfo(900, 100.0, 50, 50),
}
FILES = list(FACTS)


@pytest.mark.parametrize(
    ("policy", "kept"),
    [
        ("first", "a/photo.jpg"),
        ("largest-resolution", "photo.png"),  # ties b on pixels, wins on size
        ("largest-file", "deep/er/p.jpg"),
        ("oldest", "b/photo_copy.jpg"),  # ties deep/er/p.jpg on mtime, comes first
        ("newest", "a/photo.jpg"),
        ("shortest-path", "photo.png"),  # ties deep/er/p.jpg on length, comes first
    ],
)
def test_keep_policies_and_tie_breaks(policy, kept):
    group = keep_group(FILES, policy, FACTS.__getitem__)
    assert group.keep == [kept]
    assert group.remove == [name for name in FILES if name != kept]
    assert group.status(kept) == "keep"
    assert {group.status(name) for name in group.remove} == {"duplicate"}


def test_ties_go_to_the_earlier_file_of_the_input():
    tied = ["b/photo_copy.jpg", "deep/er/p.jpg"]  # same mtime
    assert keep_group(tied, "oldest", FACTS.__getitem__).keep == [tied[0]]
    assert keep_group(tied[::-1], "oldest", FACTS.__getitem__).keep == [tied[1]]


def test_reference_files_are_all_kept_and_only_they():
    group = keep_group(
        FILES, "largest-file", FACTS.__getitem__, lambda n: n.startswith(("a/", "b/"))
    )
    assert group.keep == ["a/photo.jpg", "b/photo_copy.jpg"]  # ranked by the policy
    assert group.remove == ["photo.png", "deep/er/p.jpg"]
    assert group.status("a/photo.jpg") == "reference"


def test_unknown_policy_lists_the_known_ones():
    with pytest.raises(ValueError, match="largest-resolution"):
        keep_group(FILES, "biggest")


def test_first_and_shortest_path_need_no_file_facts():
    assert keep_group(FILES, "shortest-path").keep == ["photo.png"]
    with pytest.raises(ValueError, match="reads file sizes"):
        keep_group(FILES, "oldest")


def test_groups_from_map_with_and_without_scores():
    scored = {"a": [["b", 0.9]], "b": [["a", 0.9], ["c", 0.8]], "c": [["b", 0.8]], "d": []}
    assert groups_from_map(scored) == [["a", "b", "c"]]
    assert groups_from_map({"x": ["y"], "z": []}) == [["x", "y"]]  # y only a value


def test_reclaimable_bytes_counts_hard_links_of_kept_files_once(tmp_path):
    (tmp_path / "keep.jpg").write_bytes(b"k" * 100)
    (tmp_path / "copy.jpg").write_bytes(b"c" * 40)
    os.link(tmp_path / "keep.jpg", tmp_path / "link.jpg")
    group = keep_group(["keep.jpg", "copy.jpg", "link.jpg"], "largest-file", _on_disk(tmp_path))
    assert group.keep == ["keep.jpg"]
    assert reclaimable_bytes([group], _on_disk(tmp_path)) == 40


def _on_disk(folder):
    return lambda name: file_info(folder / name)


def test_files_to_remove_with_a_policy_reads_the_files(tmp_path):
    (tmp_path / "small.jpg").write_bytes(b"s" * 10)
    (tmp_path / "big.jpg").write_bytes(b"b" * 20)
    pairs = Pairs(np.array([0]), np.array([1]), np.array([0.9], np.float32))
    names = ["small.jpg", "big.jpg"]
    assert files_to_remove(names, pairs) == ["big.jpg"]
    assert files_to_remove(names, pairs, "largest-file", _on_disk(tmp_path)) == ["small.jpg"]


def test_cnn_find_duplicates_to_remove_keep_policies(cnn, photo_dir, expected_groups):
    default = cnn.find_duplicates_to_remove(image_dir=photo_dir)
    assert default == cnn.find_duplicates_to_remove(image_dir=photo_dir, keep="first")
    largest = cnn.find_duplicates_to_remove(image_dir=photo_dir, keep="largest-resolution")
    for name in ORIGINALS[:3]:
        kept = ({f"{name}.jpg", *expected_groups[f"{name}.jpg"]}) - set(largest)
        assert len(kept) == 1
        assert kept.pop() not in {f"{name}_half.jpg", f"{name}_crop.jpg"}
    shortest = cnn.find_duplicates_to_remove(image_dir=photo_dir, keep="shortest-path")
    assert not {f"{name}.jpg" for name in ORIGINALS} & set(shortest)
    best = cnn.find_duplicates_to_remove(image_dir=photo_dir, keep="best")
    for name in ORIGINALS[:3]:  # the original, or an edit saved at a higher quality than it
        (kept,) = ({f"{name}.jpg", *expected_groups[f"{name}.jpg"]}) - set(best)
        assert kept in {f"{name}.jpg", f"{name}_flip.jpg", f"{name}_bright.jpg"}
    with pytest.raises(ValueError, match="keep policy"):
        cnn.find_duplicates_to_remove(image_dir=photo_dir, keep="biggest")
