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

from imagededup.report.html import PAGE_SIZE, THUMBNAIL_SIZE, render_html

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
    assert dom.count('<figure class="file duplicate"') == 19
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
