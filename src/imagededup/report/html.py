"""A single, self-contained HTML page to review every duplicate group and choose what goes.

Everything is in the one file: small JPEG thumbnails (128 px, base64) and the group data as JSON.
A short script renders one page of 50 groups at a time from that data, so the page stays quick
with thousands of groups (about 5 kB per file: 5,000 groups of three files make ~75 MB). File
names are inserted as text, never as HTML, so no name can inject markup.

Each picture starts as the keep policy decided and switches between keep and remove on a click
(or arrow keys and space); a group always keeps one file, reference files stay kept. The page
counts the files and bytes to remove, keeps the choices in the browser's local storage (under a
hash of the report's file names) and downloads them as a decisions file for ``act --decisions``
(see ``imagededup.decisions``).
"""

from __future__ import annotations

import base64
import hashlib
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
    data = {"id": report_id(data["groups"]), **data}
    # In a <script> element only "</" can end the data early; "<" never occurs outside strings.
    payload = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    return _TEMPLATE.replace("__TITLE__", html.escape(data["title"])).replace("__DATA__", payload)


def report_id(groups: Sequence[dict]) -> str:
    """A short hash of the groups' file names: the key under which the page saves its choices
    in the browser, so that two reports never share them (all file:// pages share storage)."""
    names = "\0".join(f["name"] for group in groups for f in group["files"])
    return hashlib.sha256(names.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5rem 1.5rem; color: #222;
         background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 1.5rem 0 .3rem; word-break: break-all; }
  .summary, .legend, .help { margin: 0 0 .4rem; color: #444; }
  .legend .keep { color: #2e7d32; } .legend .remove { color: #c62828; }
  .legend .reference { color: #1565c0; }
  .bar { position: sticky; top: 0; z-index: 1; background: #fafafa; padding: .5rem 0;
         border-bottom: 1px solid #ddd; display: flex; flex-wrap: wrap; gap: .6rem;
         align-items: center; }
  .bar .totals { font-weight: 600; } .bar .notice { color: #c62828; }
  nav { display: flex; gap: .6rem; align-items: center; margin: .8rem 0; }
  button { padding: .25rem .8rem; }
  .group { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 0 0 1rem;
           padding: .6rem .8rem; }
  .group h2 { font-size: 1rem; margin: 0 0 .5rem; }
  .files { display: flex; flex-wrap: wrap; gap: .8rem; }
  figure { margin: 0; width: 180px; border: 3px solid #ccc; border-radius: 6px; padding: 6px;
           cursor: pointer; user-select: none; }
  figure:focus { outline: 3px solid #f9a825; outline-offset: 2px; }
  figure.keep { border-color: #2e7d32; }
  figure.reference { border-color: #1565c0; cursor: default; }
  figure.remove { border-color: #c62828; background: #fdecea; }
  figure.remove img { opacity: .55; }
  figure img { display: block; width: 128px; height: 128px; object-fit: contain;
               margin: 0 auto 4px; background: #eee; }
  figcaption { font-size: 12px; word-break: break-all; }
  .badge { display: inline-block; font-weight: 600; text-transform: uppercase; font-size: 11px; }
  .keep .badge { color: #2e7d32; } .reference .badge { color: #1565c0; }
  .remove .badge { color: #c62828; } .changed .badge::after { content: " (your choice)"; }
  .meta { color: #555; display: block; }
</style>
</head>
<body>
<h1 id="title"></h1>
<p class="summary" id="summary"></p>
<p class="legend"><span class="keep">green: keep</span> &middot;
<span class="remove">red: remove</span> &middot;
<span class="reference">blue: in a reference folder, always kept</span> &middot;
score: the file's closest match in its group</p>
<p class="help">Click a picture (or move with the arrow keys and press space) to switch it
between keep and remove; every group keeps at least one file. Your choices stay in this browser.
Download them and run <code>imagededup act RESULT.json --decisions FILE</code> with an action.</p>
<div class="bar"><span class="totals" id="totals"></span>
<button id="download">download decisions</button><button id="reset">undo my choices</button>
<span class="notice" id="notice" role="status"></span></div>
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
const storageKey = "imagededup-decisions:" + data.id;
// file.keep: true or false, what act will do; file.initial: what the keep policy chose
let freed = 0, removed = 0;
const changed = new Map();  // name -> keep, for the files whose choice differs from the policy's
for (const group of data.groups) {
  for (const file of group.files) {
    file.initial = file.keep = file.status !== "duplicate";
    if (!file.keep) { freed += file.size; removed += 1; }
  }
}

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

function storage() {  // null where the browser refuses local storage
  try { return window.localStorage; } catch (error) { return null; }
}

function setKeep(file, keep) {  // the one place a choice changes; keeps the totals in step
  if (file.keep === keep) return;
  file.keep = keep;
  freed += keep ? -file.size : file.size;
  removed += keep ? -1 : 1;
  if (keep === file.initial) changed.delete(file.name); else changed.set(file.name, keep);
}

function restore() {  // the choices saved by an earlier visit, checked against the groups
  const store = storage();
  let saved = {};
  try { saved = JSON.parse((store && store.getItem(storageKey)) || "{}") || {}; } catch (e) {}
  for (const group of data.groups) {
    for (const file of group.files) {
      const choice = saved[file.name];
      if (file.status !== "reference" && typeof choice === "boolean") setKeep(file, choice);
    }
    if (!group.files.some((file) => file.keep)) {
      for (const file of group.files) setKeep(file, file.initial);
    }
  }
}

function save() {  // only the files whose choice differs from the policy's: quick to write
  const store = storage();
  try {
    if (store) store.setItem(storageKey, JSON.stringify(Object.fromEntries(changed)));
  } catch (error) { notice("your choices could not be saved in this browser"); }
}

function notice(text) { document.getElementById("notice").textContent = text; }

function totals() {
  document.getElementById("totals").textContent =
    removed + " file" + (removed === 1 ? "" : "s") + " to remove, " + bytes(freed) + " to free";
}

function toggle(group, file, figure) {
  if (file.status === "reference") {
    notice("files in a reference folder are always kept");
    return;
  }
  if (file.keep && group.files.filter((f) => f.keep).length === 1) {
    notice("every group keeps at least one file: keep another one first");
    return;
  }
  setKeep(file, !file.keep);
  notice("");
  paint(file, figure);
  totals();
  save();
}

function state(file) {
  return file.status === "reference" ? "reference" : file.keep ? "keep" : "remove";
}

function paint(file, figure) {
  figure.className = "file " + state(file) + (file.keep !== file.initial ? " changed" : "");
  figure.setAttribute("aria-checked", String(file.keep));
  figure.querySelector(".badge").textContent = state(file);
}

function fileFigure(group, file) {
  const figure = node("figure", "file");  // class first: the other attributes follow it
  figure.tabIndex = -1;
  figure.setAttribute("role", "checkbox");
  const image = node("img");
  image.alt = file.name;
  image.loading = "lazy";
  if (file.thumb) image.src = file.thumb;
  const caption = node("figcaption");
  const meta = [file.width + "\\u00d7" + file.height, bytes(file.size)];
  if (file.score) meta.push(file.score);
  caption.append(node("span", "badge"), " ", node("span", "path", file.name),
                 node("span", "meta", meta.join(" \\u00b7 ")));
  figure.title = file.name;
  figure.append(image, caption);
  figure.onclick = () => { focus(figure); toggle(group, file, figure); };
  figure.onkeydown = (event) => {
    if (event.key !== " ") return;
    event.preventDefault();
    toggle(group, file, figure);
  };
  paint(file, figure);
  return figure;
}

function figures() { return Array.from(document.querySelectorAll("#groups figure")); }

function focus(figure) {
  for (const other of figures()) other.tabIndex = -1;
  figure.tabIndex = 0;
  figure.focus();
}

function move(event) {  // arrows: left/right file by file, up/down group by group
  const all = figures();
  const at = all.indexOf(document.activeElement);
  const keys = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -2, ArrowDown: 2 };
  if (!(event.key in keys) || !all.length) return;
  event.preventDefault();
  if (at < 0) { focus(all[0]); return; }
  const step = keys[event.key];
  let next = at;
  if (Math.abs(step) === 1) {
    next = Math.min(Math.max(at + step, 0), all.length - 1);
  } else {
    const sections = Array.from(document.querySelectorAll("#groups section"));
    const here = sections.indexOf(all[at].closest("section"));
    const there = sections[Math.min(Math.max(here + step / 2, 0), sections.length - 1)];
    next = all.indexOf(there.querySelector("figure"));
  }
  focus(all[next]);
}

function currentPage() {
  const match = /page=(\\d+)/.exec(location.hash);
  const page = match ? parseInt(match[1], 10) : 1;
  return Math.min(Math.max(page, 1), pages);
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
    files.append(...group.files.map((file) => fileFigure(group, file)));
    section.append(files);
    list.append(section);
  });
  const first = list.querySelector("figure");
  if (first) first.tabIndex = 0;
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

function download() {  // every file of every group, as the decisions file act reads
  const keep = [], remove = [];
  for (const group of data.groups) {
    for (const file of group.files) (file.keep ? keep : remove).push(file.name);
  }
  const decisions = { format: "imagededup-decisions", version: 1, keep: keep, remove: remove };
  const blob = new Blob([JSON.stringify(decisions, null, 1)], { type: "application/json" });
  const link = node("a");
  link.href = URL.createObjectURL(blob);
  link.download = "imagededup-decisions.json";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

function reset() {
  for (const group of data.groups) for (const file of group.files) setKeep(file, file.initial);
  save();
  totals();
  render();
}

document.getElementById("title").textContent = data.title;
document.getElementById("summary").textContent = data.summary;
for (const button of document.querySelectorAll(".prev")) button.onclick = () => go(-1);
for (const button of document.querySelectorAll(".next")) button.onclick = () => go(1);
document.getElementById("download").onclick = download;
document.getElementById("reset").onclick = reset;
document.addEventListener("keydown", move);
window.addEventListener("hashchange", render);
restore();
totals();
render();
</script>
</body>
</html>
"""
