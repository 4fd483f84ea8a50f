"""Drop-in check against imagededup 0.3.3: the same hashes, duplicates and calls on the same files.

    python benchmarks/compat.py --imagededup-python /tmp/peer033/bin/python [FOLDER ...]
        [--hostile DIR] [--options] [--usage]

Installs nothing: ``--imagededup-python`` is the Python of a venv that has imagededup 0.3.3 (see
``peers/imagededup033.py``). For each FOLDER, and for a hostile folder generated into ``--hostile``
(EXIF orientations 1-8, RGBA/LA/P with transparency, 16-bit and 32-bit grey, CMYK, 1-bit,
animated GIF and WebP, large JPEGs, files without or with a wrong extension, formats 0.3.3
refuses, broken files), both libraries run ``encode_images``, ``find_duplicates(scores=True)``
and ``find_duplicates_to_remove`` with pHash, dHash, aHash and wHash at threshold 10 and the
results are compared: hashes (equal, different, only one side, with the reason), duplicate maps
(the same ``(file, distance)`` sets per key) and files to remove (see ``REMOVE_NOTE``).

``--options`` also counts how many hashes ``draft_size=256`` and ``upright=True`` change and
times them against the default decoding. ``--usage`` runs imagededup 0.3.3's README calls
against this library, as a user switching over would, and prints which ones work.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from imagededup.methods import AHash, DHash, PHash, WHash

PEER = Path(__file__).resolve().parent / "peers" / "imagededup033.py"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "images"
THRESHOLD = 10
METHODS = {"phash": PHash, "dhash": DHash, "ahash": AHash, "whash": WHash}
FORMATS_033 = frozenset({"JPEG", "PNG", "BMP", "MPO", "PPM", "TIFF", "GIF", "WEBP"})
"""Pillow formats imagededup 0.3.3 hashes (``IMG_FORMATS``); it skips every other format."""
OPTIONS: dict[str, dict[str, object]] = {
    "draft_size=256": {"draft_size": 256},
    "upright=True": {"upright": True},
}
REMOVE_NOTE = (
    "0.3.3 removes greedily in dict order, this library keeps one file per connected group"
)


def make_hostile(folder: Path, width: int | None = None) -> dict[str, str]:
    """Write the hostile folder (from photos ``width`` pixels wide, default: as they are, 451);
    returns ``{file: what it is}``."""
    folder.mkdir(parents=True, exist_ok=True)
    photo = Image.open(EXAMPLES / "chelsea.jpg").convert("RGB")
    other = Image.open(EXAMPLES / "rocket.jpg").convert("RGB")
    if width is not None:
        photo = photo.resize((width, width * photo.height // photo.width))
        other = other.resize((width, width * other.height // other.width))
    cases: dict[str, str] = {}

    def save(name: str, image: Image.Image, what: str, **options: object) -> None:
        image.save(folder / name, **options)
        cases[name] = what

    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        save(f"exif_{orientation}.jpg", photo, f"JPEG, EXIF orientation {orientation}", exif=exif)
    rgba = photo.convert("RGBA")
    alpha = np.zeros(photo.size[::-1], np.uint8)
    alpha[:, : photo.width // 2] = 255
    alpha[::7] = 90
    rgba.putalpha(Image.fromarray(alpha))
    save("rgba.png", rgba, "RGBA PNG, half transparent")
    save("la.png", photo.convert("LA"), "LA PNG (grey + alpha)")
    la = photo.convert("L")
    la_alpha = Image.merge("LA", (la, Image.fromarray(alpha)))
    save("la_transparent.png", la_alpha, "LA PNG, half transparent")
    palette = photo.quantize(64)
    save("p_transparent.png", palette, "P PNG with a transparent index", transparency=0)
    save("p_transparent.gif", palette, "P GIF with a transparent index", transparency=0)
    grey16 = (np.asarray(photo.convert("L"), np.uint16) * 257).astype(np.uint16)
    save("grey16.png", Image.fromarray(grey16), "16-bit grey PNG (I;16)")
    save("grey16.tif", Image.fromarray(grey16), "16-bit grey TIFF (I;16)")
    grey32 = np.asarray(photo.convert("L"), np.int32) * 1000
    save("grey32.tif", Image.fromarray(grey32), "32-bit integer grey TIFF (I)")
    grey_float = np.asarray(photo.convert("L"), np.float32) / 255
    save("float.tif", Image.fromarray(grey_float), "32-bit float grey TIFF (F)")
    save("cmyk.jpg", photo.convert("CMYK"), "CMYK JPEG")
    save("cmyk.tif", photo.convert("CMYK"), "CMYK TIFF")
    save("bilevel.png", photo.convert("1"), "1-bit PNG")
    save("bilevel.bmp", photo.convert("1"), "1-bit BMP")
    save("grey.jpg", photo.convert("L"), "grey JPEG")
    frames = [photo.quantize(64), other.resize(photo.size).quantize(64)]
    save("animated.gif", frames[0], "animated GIF", save_all=True, append_images=frames[1:])
    second = other.resize(photo.size)
    save("animated.webp", photo, "animated WebP", save_all=True, append_images=[second])
    save("photo.webp", photo, "WebP")
    save("photo.bmp", photo, "BMP")
    save("photo.ppm", photo, "PPM")
    for factor, quality in ((4, 90), (6, 85), (8, 80)):
        big = photo.resize((photo.width * factor, photo.height * factor), Image.Resampling.BICUBIC)
        save(f"large_{factor}x.jpg", big, f"large JPEG {big.width}x{big.height}", quality=quality)
    save("no_extension", photo, "JPEG without an extension", format="JPEG")
    save("jpeg_named.svg", other, "JPEG named .svg", format="JPEG")
    save("png_named.jpg", other, "PNG named .jpg", format="PNG")
    save("icon.ico", photo.resize((64, 64)), "ICO (a format 0.3.3 refuses)")
    save("targa.tga", photo, "TGA (a format 0.3.3 refuses)")
    save(".hidden.jpg", photo, "hidden JPEG (skipped by both)")
    (folder / "empty.jpg").write_bytes(b"")
    cases["empty.jpg"] = "empty file named .jpg"
    (folder / "notes.txt").write_text("not an image")
    cases["notes.txt"] = "text file"
    (folder / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    cases["drawing.svg"] = "real SVG (neither library decodes it)"
    data = (folder / "exif_1.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    cases["truncated.jpg"] = "JPEG cut in half"
    return cases


def run_peer(python: str, folder: Path) -> dict:
    """imagededup 0.3.3's results on ``folder`` (see ``peers/imagededup033.py compat``)."""
    done = subprocess.run(
        [python, str(PEER), "compat", str(folder), str(THRESHOLD)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # 0.3.3's own package
    )
    if done.returncode:
        raise SystemExit(f"imagededup 0.3.3 failed on {folder}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def run_ours(folder: Path, **options: object) -> dict:
    """This library's results on ``folder``, in the same shape as ``run_peer``'s."""
    out = {}
    for name, cls in METHODS.items():
        hasher = cls(verbose=False, **options)
        out[name] = {
            "hashes": hasher.encode_images(folder),
            "duplicates": hasher.find_duplicates(
                image_dir=folder, max_distance_threshold=THRESHOLD, scores=True
            ),
            "to_remove": hasher.find_duplicates_to_remove(
                image_dir=folder, max_distance_threshold=THRESHOLD
            ),
        }
    return out


def pillow_format(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            return image.format
    except Exception:  # any failure: 0.3.3 logged it and skipped the file
        return None


def reason_only_ours(path: Path) -> str:
    found = pillow_format(path)
    if found is not None and found not in FORMATS_033:
        return f"format {found}: 0.3.3 refuses it"
    return "UNEXPLAINED"


def compare_hashes(folder: Path, ours: dict[str, str], theirs: dict[str, str]) -> dict:
    """Counts of equal/different/one-sided hashes, and the reason of each difference."""
    row: dict = {"compared": 0, "equal": 0, "different": 0, "only_ours": 0, "only_033": 0}
    reasons: Counter[str] = Counter()
    for name in sorted(set(ours) | set(theirs)):
        if name in ours and name in theirs:
            row["compared"] += 1
            if ours[name] == theirs[name]:
                row["equal"] += 1
            else:
                row["different"] += 1
                reasons[f"{name}: UNEXPLAINED hash difference"] += 1
        elif name in ours:
            row["only_ours"] += 1
            reasons[reason_only_ours(folder / name)] += 1
        else:
            row["only_033"] += 1
            reasons[f"{name}: UNEXPLAINED, hashed by 0.3.3 only"] += 1
    row["reasons"] = dict(reasons)
    return row


def compare_duplicates(ours: dict, theirs: dict, common: set[str]) -> tuple[int, int]:
    """(keys compared, keys whose ``{(file, distance)}`` sets differ) over files both hashed."""
    differ = 0
    for name in common:
        mine = {(d, s) for d, s in ours.get(name, []) if d in common}
        peer = {(d, s) for d, s in theirs.get(name, []) if d in common}
        differ += mine != peer
    return len(common), differ


def greedy_removal(duplicates: dict[str, list]) -> set[str]:
    """0.3.3's rule for files to remove, applied to a duplicate map in its key order: walk the
    keys; a key not yet marked marks all its duplicates."""
    marked: set[str] = set()
    for name, found in duplicates.items():
        if name not in marked:
            marked.update(entry[0] if isinstance(entry, list | tuple) else entry for entry in found)
    return marked


def compare(folder: Path, python: str) -> list[dict]:
    theirs = run_peer(python, folder)
    ours = run_ours(folder)
    rows = []
    for method in METHODS:
        mine, peer = ours[method], theirs[method]
        row = compare_hashes(folder, mine["hashes"], peer["hashes"])
        common = set(mine["hashes"]) & set(peer["hashes"])
        row["keys"], row["maps_differ"] = compare_duplicates(
            mine["duplicates"], peer["duplicates"], common
        )
        remove_ours = set(mine["to_remove"]) & common
        remove_peer = set(peer["to_remove"]) & common
        row["remove_equal"] = remove_ours == remove_peer
        row["remove_counts"] = (len(remove_ours), len(remove_peer))
        ordered = {name: mine["duplicates"].get(name, []) for name in peer["duplicates"]}
        row["rule_explains"] = greedy_removal(ordered) & common == remove_peer
        rows.append({"folder": folder.name, "method": method, **row})
    return rows


def print_compat(rows: list[dict]) -> None:
    print(
        "| folder | hash | hashes compared | equal | different | only ours | only 0.3.3 "
        "| duplicate-map keys differing | files to remove (ours / 0.3.3) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        remove = f"{r['remove_counts'][0]} / {r['remove_counts'][1]}"
        if not r["remove_equal"]:
            remove += " (differ; 0.3.3's rule on our map gives 0.3.3's list: "
            remove += "yes)" if r["rule_explains"] else "NO, UNEXPLAINED)"
        print(
            f"| {r['folder']} | {r['method']} | {r['compared']} | {r['equal']} "
            f"| {r['different']} | {r['only_ours']} | {r['only_033']} "
            f"| {r['maps_differ']} of {r['keys']} | {remove} |"
        )
    reasons: Counter[str] = Counter()
    for r in rows:
        for reason, count in r["reasons"].items():
            reasons[f"{r['folder']}: {reason}"] += count
    if reasons:
        print("\nReasons for one-sided or different hashes (count over the 4 hashes):")
        for reason, count in sorted(reasons.items()):
            print(f"- {reason}: {count}")
    if any(not r["remove_equal"] for r in rows):
        print(f"\nFiles to remove differ where noted: {REMOVE_NOTE}.")
        print("Where 0.3.3's rule applied to this library's duplicate map (in 0.3.3's key order)")
        print("gives 0.3.3's list, the rule is the whole difference.")


def timed_hashes(folder: Path, **options: object) -> tuple[dict[str, str], float]:
    start = time.perf_counter()
    hashes = PHash(verbose=False, **options).encode_images(folder)
    return hashes, time.perf_counter() - start


def make_large(folder: Path) -> Path:
    """The example photos enlarged 4 times (1800 to 2400 px JPEGs), where drafting pays."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(EXAMPLES.glob("*.jpg")):
        with Image.open(path) as image:
            big = image.convert("RGB").resize((image.width * 4, image.height * 4))
            big.save(folder / path.name, quality=90)
    return folder


def print_options(folders: list[Path], repeat: int = 3) -> None:
    """How many pHashes the opt-in decodings change, and their time relative to the default
    (best of ``repeat`` runs each, interleaved so that a busy machine slows all alike)."""
    print("\n| folder | option | pHashes changed | of | seconds (best) | time vs default |")
    print("|---|---|---:|---:|---:|---:|")
    configs = {"default": {}, **OPTIONS}
    for folder in folders:
        best = dict.fromkeys(configs, float("inf"))
        hashes: dict[str, dict[str, str]] = {}
        for _ in range(repeat):
            for label, options in configs.items():
                hashes[label], seconds = timed_hashes(folder, **options)
                best[label] = min(best[label], seconds)
        base = hashes["default"]
        for label in configs:
            differ = sum(hashes[label].get(k) != v for k, v in base.items())
            ratio = best[label] / best["default"]
            print(
                f"| {folder.name} | {label} | {differ} | {len(base)} | {best[label]:.2f} "
                f"| {ratio:.2f} |"
            )


def usage_checks(folder: Path, out: Path) -> list[tuple[str, str]]:
    """imagededup 0.3.3's README calls, run against this library; ``(call, outcome)``."""
    from imagededup.evaluation import evaluate
    from imagededup.methods import CNN
    from imagededup.utils import plot_duplicates

    results: list[tuple[str, str]] = []

    def check(call: str, run, show: bool = False) -> object:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = run()
        except Exception as exc:
            results.append((call, f"FAILS: {type(exc).__name__}: {exc}"))
            return None
        warned = sorted({w.category.__name__ for w in caught})
        outcome = "works" + (f" (warns: {', '.join(warned)})" if warned else "")
        results.append((call, f"{outcome}: {value}" if show else outcome))
        return value

    phasher = PHash()
    encodings = check("phasher.encode_images(image_dir=...)", lambda: phasher.encode_images(folder))
    duplicates = check(
        "phasher.find_duplicates(encoding_map=encodings)",
        lambda: phasher.find_duplicates(encoding_map=encodings),
    )
    check(
        "phasher.find_duplicates(image_dir=..., max_distance_threshold=12, scores=True,"
        " outfile='results.json')",
        lambda: phasher.find_duplicates(
            image_dir=folder, max_distance_threshold=12, scores=True, outfile=out / "r.json"
        ),
    )
    check(
        "phasher.find_duplicates(image_dir=..., search_method='bktree', num_dist_workers=2)",
        lambda: phasher.find_duplicates(
            image_dir=folder, search_method="bktree", num_dist_workers=2
        ),
    )
    check(
        "phasher.find_duplicates_to_remove(image_dir=..., max_distance_threshold=12,"
        " outfile=False)",
        lambda: phasher.find_duplicates_to_remove(
            image_dir=folder, max_distance_threshold=12, outfile=False
        ),
    )
    check(
        "phasher.encode_image(image_file=...)",
        lambda: phasher.encode_image(image_file=folder / "chelsea.jpg"),
    )
    check(
        "phasher.encode_image(image_array=float array)",
        lambda: phasher.encode_image(image_array=np.random.default_rng(0).random((40, 40, 3))),
        show=True,
    )
    check(
        "plot_duplicates(image_dir=..., duplicate_map=duplicates, filename=...)",
        lambda: plot_duplicates(
            folder,
            duplicates,
            next(k for k, v in duplicates.items() if v),
            outfile=out / "plot.png",
        ),
    )
    check("evaluate(ground_truth, retrieved)", lambda: evaluate(duplicates, duplicates))
    cnn = check("CNN()", CNN)
    if cnn is not None:
        vectors = check("cnn.encode_images(image_dir=...)", lambda: cnn.encode_images(folder))
        check(
            "cnn.encode_image(image_file=...).shape",
            lambda: cnn.encode_image(image_file=folder / "chelsea.jpg").shape,
            show=True,
        )
        check(
            "cnn.find_duplicates(encoding_map=vectors, min_similarity_threshold=0.85,"
            " scores=True, outfile='results.json')",
            lambda: cnn.find_duplicates(
                encoding_map=vectors,
                min_similarity_threshold=0.85,
                scores=True,
                outfile=out / "c.json",
            ),
        )
        single = {
            name: cnn.encode_image(image_file=folder / name) for name in sorted(vectors or {})[:3]
        }
        check(
            "cnn.find_duplicates(encoding_map={name: cnn.encode_image(...)})",
            lambda: cnn.find_duplicates(encoding_map=single),
        )
        check(
            "cnn.find_duplicates_to_remove(image_dir=..., min_similarity_threshold=0.85,"
            " num_sim_workers=2)",
            lambda: cnn.find_duplicates_to_remove(
                image_dir=folder, min_similarity_threshold=0.85, num_sim_workers=2
            ),
        )
        check(
            "cnn.encode_images('not/a/folder')  # 0.3.3: ValueError",
            lambda: _raises(ValueError, lambda: cnn.encode_images(folder / "missing")),
            show=True,
        )
    return results


def _raises(error: type[Exception], run) -> str:
    try:
        run()
    except error as exc:
        return f"raised {type(exc).__name__}"
    raise AssertionError(f"did not raise {error.__name__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--imagededup-python", required=True)
    parser.add_argument("--hostile", type=Path, help="where to write the hostile folder")
    parser.add_argument("--options", action="store_true", help="measure the opt-in decodings")
    parser.add_argument("--usage", action="store_true", help="run 0.3.3's README calls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imagededup-compat-") as scratch:
        folders = list(args.folders)
        hostile = args.hostile or Path(scratch) / "hostile"
        cases = make_hostile(hostile)
        folders.insert(0, hostile)
        print(f"hostile folder {hostile}: {len(cases)} files\n")
        rows = [row for folder in folders for row in compare(folder, args.imagededup_python)]
        print_compat(rows)
        if args.options:
            print_options([*folders, make_large(Path(scratch) / "large")])
        if args.usage:
            print("\n| imagededup 0.3.3 README call | with this library |")
            print("|---|---|")
            for call, outcome in usage_checks(EXAMPLES, Path(scratch)):
                print(f"| `{call}` | {outcome} |")


if __name__ == "__main__":
    main()
