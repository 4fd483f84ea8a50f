"""The HTML report: self-contained, and rendered by a real headless browser, 50 groups a page."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from imagededup import cli
from imagededup.decisions import decide, parse_decisions
from imagededup.groups import Group
from imagededup.report.html import PAGE_SIZE, THUMBNAIL_SIZE, render_html
from tests.cdp import Browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium); .ci/run installs it",
)


def page_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html)
    return json.loads(found.group(1))


def test_report_is_one_self_contained_file(scanned):
    html = scanned.report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", html)
    data = page_data(html)
    assert data["pageSize"] == PAGE_SIZE
    assert [len(group["files"]) for group in data["groups"]] == [8, 7, 7]  # archive/ first
    statuses = [[f["status"] for f in group["files"]] for group in data["groups"]]
    assert [s.count("keep") + s.count("reference") for s in statuses] == [1, 1, 1]
    assert "reference" in statuses[0]
    for group in data["groups"]:
        for entry in group["files"]:
            assert entry["width"] > 0 and entry["size"] > 0
            assert (
                entry["score"].startswith("similarity 0.") or entry["score"] == "similarity 1.000"
            )
            header, encoded = entry["thumb"].split(",", 1)
            assert header == "data:image/jpeg;base64"
            with Image.open(io.BytesIO(base64.b64decode(encoded))) as thumb:
                assert max(thumb.size) <= THUMBNAIL_SIZE


def chromium(url: str, tmp_path: Path) -> tuple[str, Path]:
    """The DOM of ``url`` after its scripts ran, and a screenshot of it."""
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,900",
            f"--screenshot={shot}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, shot


def rendered_groups(dom: str) -> int:
    return dom.count('<section class="group">')


@needs_chromium
def test_browser_renders_every_group_of_a_real_report(scanned, tmp_path):
    dom, shot = chromium(scanned.report.as_uri(), tmp_path)
    assert rendered_groups(dom) == 3
    assert dom.count('<figure class="file keep"') == 2
    assert dom.count('<figure class="file reference"') == 1
    assert dom.count('<figure class="file remove"') == 19
    assert "archive/chelsea_original.jpg" in dom
    assert "page 1 of 1" in dom
    with Image.open(shot) as image:
        assert image.size == (1200, 900)
        assert len(image.convert("RGB").getcolors(1 << 24)) > 1000  # photos, not a blank page


@needs_chromium
def test_browser_shows_50_of_5000_groups_a_page_and_names_as_text(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "JPEG")
    thumb = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    hostile = '<img src=x onerror="document.body.remove()">.jpg'
    entry = {"width": 8, "height": 8, "size": 1234, "score": "similarity 0.950", "thumb": thumb}
    groups = [
        {
            "files": [
                {**entry, "name": f"dir/{i}/a.jpg", "status": "keep"},
                {**entry, "name": hostile if i == 0 else f"{i}/b.jpg", "status": "duplicate"},
            ]
        }
        for i in range(5020)
    ]
    page = tmp_path / "big.html"
    data = {"title": "</script><b>big</b>", "summary": "5020 groups", "pageSize": 50}
    page.write_text(render_html({**data, "groups": groups}), encoding="utf-8")

    first, _ = chromium(page.as_uri(), tmp_path)
    assert rendered_groups(first) == 50
    assert "page 1 of 101" in first
    assert "&lt;img src=x onerror=" in first  # shown as text, never run
    last, _ = chromium(page.as_uri() + "#page=101", tmp_path)
    assert rendered_groups(last) == 20
    assert "Group 5020 · 2 files" in last


STATES = "Array.from(document.querySelectorAll('#groups figure'), f => f.className)"
TOTALS = "document.getElementById('totals').textContent"
NOTICE = "document.getElementById('notice').textContent"


@needs_chromium
def test_review_by_click_and_keyboard_survives_reload_and_downloads_decisions(scanned, tmp_path):
    data = page_data(scanned.report.read_text(encoding="utf-8"))
    files = [f for group in data["groups"] for f in group["files"]]
    to_free = sum(f["size"] for f in files if f["status"] == "duplicate")
    downloads = tmp_path / "downloads"
    with Browser(tmp_path / "profile", downloads) as browser:
        browser.open(scanned.report.as_uri())
        assert browser.js(TOTALS) == f"19 files to remove, {cli.human(to_free)} to free"
        states = browser.js(STATES)
        assert states.count("file keep") == 2 and states.count("file reference") == 1

        second = "section:nth-of-type(2) figure"
        kept = states.index("file keep", len(data["groups"][0]["files"]))  # group 2's kept file
        first_of_second = len(data["groups"][0]["files"])
        browser.click(f"{second}:nth-of-type({kept - first_of_second + 1})")
        assert "keeps at least one file" in browser.js(NOTICE)  # the last kept file stays
        assert browser.js(STATES) == states
        browser.click("section:first-of-type figure.reference")
        assert "always kept" in browser.js(NOTICE)

        browser.click(f"{second}.remove")  # click: keep this one too
        clicked = browser.js("document.activeElement.title")
        browser.press("ArrowRight")  # keyboard: move on and toggle
        browser.press(" ")
        moved_to = browser.js("document.activeElement.title")
        browser.press("ArrowDown")  # the first file of the next group
        browser.press(" ")
        third = browser.js("document.activeElement.title")
        assert third == data["groups"][2]["files"][0]["name"]
        chosen = browser.js(STATES)
        assert sum("changed" in state for state in chosen) == 3
        expected = {f["name"]: f["status"] != "duplicate" for f in files}
        for name in (clicked, moved_to, third):
            expected[name] = not expected[name]
        removed = [f for f in files if not expected[f["name"]]]
        totals = f"{len(removed)} files to remove, {cli.human(sum(f['size'] for f in removed))}"
        assert browser.js(TOTALS) == f"{totals} to free"

        browser.reload()
        assert browser.js(STATES) == chosen  # kept in the browser's local storage
        assert browser.js(TOTALS) == f"{totals} to free"

        browser.click("#download")
        while browser.wait_for("Browser.downloadProgress")["params"]["state"] == "inProgress":
            pass
        browser.screenshot(tmp_path / "review.png")
    saved = json.loads((downloads / "imagededup-decisions.json").read_text(encoding="utf-8"))
    chosen_decisions = parse_decisions(saved, "download")
    assert chosen_decisions.keep == {name for name, keep in expected.items() if keep}
    assert chosen_decisions.remove == {name for name, keep in expected.items() if not keep}
    policy = [
        Group(
            [f["name"] for f in g["files"]],
            [f["name"] for f in g["files"] if f["status"] != "duplicate"],
            frozenset(f["name"] for f in g["files"] if f["status"] == "reference"),
        )
        for g in data["groups"]
    ]
    decided = decide(policy, chosen_decisions)
    assert sum(len(group.remove) for group in decided.groups) == len(removed)
    with Image.open(tmp_path / "review.png") as image:
        assert image.size == (1200, 900)
