"""A single, self-contained HTML page that shows every duplicate group and the file kept in each.

Everything is in the one file: small JPEG thumbnails (128 px, base64) and the group data as JSON.
A short script renders one page of 50 groups at a time from that data, so the page stays quick
with thousands of groups (about 5 kB per file: 5,000 groups of three files make ~75 MB). File
names are inserted as text, never as HTML, so no name can inject markup.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from tqdm.auto import tqdm

from imagededup.groups import Group
from imagededup.images.decode import open_image, to_rgb
from imagededup.images.info import FileInfo
from imagededup.images.loader import iter_batches
from imagededup.results import format_score

THUMBNAIL_SIZE = 128
THUMBNAIL_QUALITY = 70
PAGE_SIZE = 50


def write_report(
    out: str | os.PathLike[str],
    groups: Sequence[Group],
    root: Path,
    info: Callable[[str], FileInfo],
    scores: Mapping[str, float],
    *,
    summary: str,
    score_label: str = "similarity",
    progress: bool = False,
) -> Path:
    """Write the report of ``groups`` (names relative to ``root``) to ``out``; returns its path.

    Each file shows its thumbnail, name, resolution, size, best ``scores`` value (labelled
    ``score_label``) and whether it is kept, a reference or a duplicate; ``summary`` heads the
    page.
    """
    names = [name for group in groups for name in group.files]
    thumbs = dict(zip(names, thumbnails([root / n for n in names], progress=progress), strict=True))

    def entry(name: str, group: Group) -> dict:
        facts, score = info(name), scores.get(name)
        return {
            "name": name,
            "width": facts.width,
            "height": facts.height,
            "size": facts.size,
            "score": None if score is None else f"{score_label} {format_score(score)}",
            "status": group.status(name),
            "thumb": thumbs[name],
        }

    data = {
        "title": f"imagededup: {root}",
        "summary": summary,
        "pageSize": PAGE_SIZE,
        "groups": [{"files": [entry(name, g) for name in g.files]} for g in groups],
    }
    path = Path(out)
    path.write_text(render_html(data), encoding="utf-8")
    return path


def thumbnails(
    paths: Sequence[Path], size: int = THUMBNAIL_SIZE, progress: bool = False
) -> list[str | None]:
    """A JPEG ``data:`` URL of at most ``size`` px per side for each path (``None`` if unreadable).

    Files are decoded in parallel threads, large JPEGs at a reduced scale.
    """
    found: list[str | None] = [None] * len(paths)
    with tqdm(total=len(paths), disable=not progress, unit="img", desc="Thumbnails") as bar:
        for batch in iter_batches(paths, partial(_thumbnail, size=size), batch_size=64):
            for index, url in zip(batch.indices, batch.items, strict=True):
                found[index] = url
            bar.update(len(batch.indices) + len(batch.failures))
    return found


def _thumbnail(path: str | os.PathLike[str], size: int) -> str:
    image = open_image(path, size)
    try:
        rgb = to_rgb(image)
        rgb.thumbnail((size, size))
        buffer = io.BytesIO()
        rgb.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    finally:
        image.close()
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(data: dict) -> str:
    """The page for ``data`` (``title``, ``summary``, ``pageSize`` and ``groups`` of files)."""
    # In a <script> element only "</" can end the data early; "<" never occurs outside strings.
    payload = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    return _TEMPLATE.replace("__TITLE__", html.escape(data["title"])).replace("__DATA__", payload)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; word-break: break-all; }
  .summary, .legend { margin: 0 0 .4rem; color: #444; }
  .legend .keep { color: #2e7d32; } .legend .duplicate { color: #c62828; }
  .legend .reference { color: #1565c0; }
  nav { display: flex; gap: .6rem; align-items: center; margin: .8rem 0; }
  nav button { padding: .25rem .8rem; }
  .group { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 0 0 1rem;
           padding: .6rem .8rem; }
  .group h2 { font-size: 1rem; margin: 0 0 .5rem; }
  .files { display: flex; flex-wrap: wrap; gap: .8rem; }
  figure { margin: 0; width: 180px; border: 3px solid #ccc; border-radius: 6px; padding: 6px; }
  figure.keep { border-color: #2e7d32; }
  figure.reference { border-color: #1565c0; }
  figure.duplicate { border-color: #c62828; }
  figure img { display: block; width: 128px; height: 128px; object-fit: contain;
               margin: 0 auto 4px; background: #eee; }
  figcaption { font-size: 12px; word-break: break-all; }
  .badge { display: inline-block; font-weight: 600; text-transform: uppercase; font-size: 11px; }
  .keep .badge { color: #2e7d32; } .reference .badge { color: #1565c0; }
  .duplicate .badge { color: #c62828; }
  .meta { color: #555; display: block; }
</style>
</head>
<body>
<h1 id="title"></h1>
<p class="summary" id="summary"></p>
<p class="legend"><span class="keep">green: kept</span> &middot;
<span class="duplicate">red: duplicate</span> &middot;
<span class="reference">blue: in a reference folder, always kept</span> &middot;
score: the file's closest match in its group</p>
<nav><button class="prev">&larr; previous</button><span class="page-label"></span>
<button class="next">next &rarr;</button></nav>
<main id="groups"></main>
<nav><button class="prev">&larr; previous</button><span class="page-label"></span>
<button class="next">next &rarr;</button></nav>
<script type="application/json" id="report-data">__DATA__</script>
<script>
"use strict";
const dataElement = document.getElementById("report-data");
const data = JSON.parse(dataElement.textContent);
dataElement.remove();  // the parsed copy is all the page needs; the text would double memory
const pages = Math.max(1, Math.ceil(data.groups.length / data.pageSize));

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function bytes(n) {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return (i ? n.toFixed(1) : n) + " " + units[i];
}

function currentPage() {
  const match = /page=(\\d+)/.exec(location.hash);
  const page = match ? parseInt(match[1], 10) : 1;
  return Math.min(Math.max(page, 1), pages);
}

function fileFigure(file) {
  const figure = node("figure", "file " + file.status);
  const image = node("img");
  image.alt = file.name;
  image.loading = "lazy";
  if (file.thumb) image.src = file.thumb;
  const caption = node("figcaption");
  const meta = [file.width + "\\u00d7" + file.height, bytes(file.size)];
  if (file.score) meta.push(file.score);
  caption.append(node("span", "badge", file.status), " ", node("span", "path", file.name),
                 node("span", "meta", meta.join(" \\u00b7 ")));
  figure.title = file.name;
  figure.append(image, caption);
  return figure;
}

function render() {
  const page = currentPage();
  const start = (page - 1) * data.pageSize;
  const list = document.getElementById("groups");
  list.replaceChildren();
  data.groups.slice(start, start + data.pageSize).forEach((group, k) => {
    const section = node("section", "group");
    section.append(node("h2", null, "Group " + (start + k + 1) + " \\u00b7 " +
                        group.files.length + " files"));
    const files = node("div", "files");
    files.append(...group.files.map(fileFigure));
    section.append(files);
    list.append(section);
  });
  for (const label of document.querySelectorAll(".page-label")) {
    label.textContent = "page " + page + " of " + pages;
  }
  for (const button of document.querySelectorAll(".prev")) button.disabled = page <= 1;
  for (const button of document.querySelectorAll(".next")) button.disabled = page >= pages;
}

function go(delta) {
  location.hash = "page=" + (currentPage() + delta);
  window.scrollTo(0, 0);
}

document.getElementById("title").textContent = data.title;
document.getElementById("summary").textContent = data.summary;
for (const button of document.querySelectorAll(".prev")) button.onclick = () => go(-1);
for (const button of document.querySelectorAll(".next")) button.onclick = () => go(1);
window.addEventListener("hashchange", render);
render();
</script>
</body>
</html>
"""
