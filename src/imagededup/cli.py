"""The ``imagededup`` command line: find duplicate images, act on them safely, undo that.

    imagededup find PATH [PATH ...] [--json OUT] [--report OUT.html] [--reference DIR]
    imagededup act RESULT.json --move-to DIR | --delete | --hardlink [--dry-run] [--yes]
    imagededup undo MANIFEST

``find`` never changes a file. ``act`` changes files only with an action flag, and always writes
a manifest that ``undo`` restores from (see ``imagededup.actions``). Names in the output are
paths relative to the common parent of the scanned folders; ``--json`` writes imagededup's
duplicate map plus a scan record beside it (``OUT.scan.json``, see ``imagededup.scan``) that
tells ``act`` where the files are and what they held at scan time.

Exit codes: 0 success; 1 duplicates found with ``--fail-on-duplicates`` (``find``), or some
file left alone or not restored (``act``, ``undo``); 2 usage error: bad arguments, paths or
input files, reported in one line.

argparse is in the standard library: the command adds no dependency and needs nothing more.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from imagededup import __version__
from imagededup.actions import (
    ACTIONS,
    Action,
    Outcome,
    Step,
    apply,
    in_own_output,
    plan,
    plan_undo,
    undo,
)
from imagededup.decisions import decide, load_decisions
from imagededup.display import ShownFormatter, shown
from imagededup.evaluation import evaluate
from imagededup.groups import (
    KEEP_POLICIES,
    Group,
    groups_from_map,
    keep_group,
    reclaimable_bytes,
)
from imagededup.images.discover import following_symlinks
from imagededup.images.info import FileInfo, file_info
from imagededup.keep import measure
from imagededup.methods import CNN, AHash, DHash, PDQHash, PHash, WHash
from imagededup.methods.base import Finder
from imagededup.methods.hashing import Hashing
from imagededup.models.backends import BACKENDS, PRECISIONS
from imagededup.models.registry import DEFAULT_MODEL
from imagededup.report.html import write_report
from imagededup.results import best_scores, format_score, load_duplicate_map, save_json
from imagededup.scan import (
    FolderFinder,
    ScanRecord,
    check_folders,
    check_relative_names,
    in_folders,
    load_record,
    record_path,
    record_scan,
    relative_name,
    save_record,
    scan_folders,
)
from imagededup.utils import plot_duplicates

DEFAULT_KEEP = "best"


class UsageError(Exception):
    """A mistake in the command line or its input files; shown as one line, exit code 2."""


@dataclass(frozen=True)
class Method:
    """How the command line builds a finder; its class reads ``--threshold`` and names scores."""

    make: Callable[..., Finder]  # (verbose, embedding cache, **inference options) -> finder
    finder: type[Finder]

    @property
    def score_label(self) -> str:
        return "similarity" if self.finder.higher_is_closer else "distance"


def _cnn(model: str) -> Method:
    return Method(lambda v, c, **o: CNN(model=model, verbose=v, cache=c, **o), CNN)


def _hash(method: type[Hashing]) -> Method:
    return Method(lambda v, c, **_: method(verbose=v), method)


# A new method is one line here.
METHODS: dict[str, Method] = {
    "cnn": _cnn(DEFAULT_MODEL),
    "cnn-fast": _cnn("sscd_distilled_fast"),
    "cnn-crops": _cnn("sscd_distilled_crops"),
    "cnn-rotation": _cnn("sscd_distilled"),
    "sscd": _cnn("sscd"),
    "phash": _hash(PHash),
    "dhash": _hash(DHash),
    "ahash": _hash(AHash),
    "whash": _hash(WHash),
    "pdq": _hash(PDQHash),
}


def default_cache() -> Path:
    """Where the command line keeps embeddings: $XDG_CACHE_HOME or ~/.cache, imagededup/."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "imagededup" / "embeddings.sqlite"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imagededup", description=__doc__.splitlines()[0].strip("`")
    )
    parser.add_argument("--version", action="version", version=f"imagededup {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    find = commands.add_parser("find", help="find duplicate images (changes nothing)")
    find.add_argument(
        "paths", nargs="+", metavar="PATH", help="folders of images, searched together"
    )
    find.add_argument("--method", default="cnn", choices=METHODS, help="default: %(default)s")
    find.add_argument(
        "--threshold",
        help="minimum similarity (cnn, sscd) or maximum Hamming distance (hashes);"
        " default: the method's",
    )
    find.add_argument(
        "--recursive",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="look in sub-folders (default: yes)",
    )
    find.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="enter symbolic links to folders (default: skip them, as fdupes and fclones do)",
    )
    find.add_argument(
        "--cache",
        metavar="FILE",
        type=Path,
        default=None,
        help="SQLite embedding cache (default: ~/.cache/imagededup/embeddings.sqlite)",
    )
    find.add_argument("--no-cache", action="store_true", help="encode everything, keep nothing")
    find.add_argument(
        "--backend",
        choices=("auto", *BACKENDS),
        default="auto",
        help="CNN inference engine (default: OpenVINO on a CPU, onnxruntime on a CUDA GPU)",
    )
    find.add_argument(
        "--precision",
        choices=("auto", *PRECISIONS),
        default="auto",
        help="CNN arithmetic (default: f32; bf16 with OpenVINO on a CPU with AVX512-BF16 or AMX)",
    )
    find.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="encode on Ray (and search there from 100,000 files): a local instance, or the"
        " cluster at ADDRESS ('auto', 'ray://HOST:10001'); needs imagededup[distributed]",
    )
    find.add_argument(
        "--ray-output",
        metavar="DIR",
        help="with --ray, keep the Parquet embeddings in DIR; a later run encodes only new or"
        " changed files (default: a temporary folder)",
    )
    find.add_argument("--json", metavar="OUT", help="write {file: [[duplicate, score]]} to OUT")
    find.add_argument("--report", metavar="OUT.html", help="write an HTML report of the groups")
    find.add_argument("--plot", metavar="DIR", help="write a PNG of each group into DIR")
    _add_reference(find, "scanned too; its files are always kept")
    _add_keep(find, f"which file of a group to keep (default: {DEFAULT_KEEP})", DEFAULT_KEEP)
    find.add_argument(
        "--fail-on-duplicates", action="store_true", help="exit with 1 if any duplicate is found"
    )
    _add_quiet(find)
    find.set_defaults(run=run_find)

    act = commands.add_parser("act", help="move, delete or hard-link the duplicates of a result")
    act.add_argument("result", metavar="RESULT.json", help="written by find --json")
    what = act.add_mutually_exclusive_group(required=True)
    for action in ACTIONS.values():  # a new action class is a new flag
        if action.metavar:
            what.add_argument(action.flag, metavar=action.metavar, help=action.help)
        else:
            what.add_argument(action.flag, action="store_true", help=action.help)
    _add_keep(act, f"which file to keep (default: the one find used, else {DEFAULT_KEEP})")
    act.add_argument(
        "--decisions",
        metavar="FILE",
        help="per-file choices downloaded from the report: act on the files in its remove list,"
        " never on those in its keep list; other files follow --keep",
    )
    act.add_argument("--root", metavar="DIR", help="folder the names are relative to")
    _add_reference(act, "never acted on (added to those of the scan)")
    act.add_argument(
        "--dry-run", action="store_true", help="print what would happen, change nothing"
    )
    act.add_argument("--yes", "-y", action="store_true", help="do not ask before --delete")
    _add_quiet(act)
    act.set_defaults(run=run_act)

    score = commands.add_parser("evaluate", help="score a result against a ground truth")
    score.add_argument("ground_truth", metavar="GROUND_TRUTH.json", help="{file: [duplicates]}")
    score.add_argument("result", metavar="RESULT.json", help="written by find --json")
    score.add_argument(
        "--metric", default="all", choices=["all", "map", "ndcg", "jaccard", "classification"]
    )
    score.set_defaults(run=run_evaluate, quiet=False)

    restore = commands.add_parser("undo", help="restore the files of an act manifest")
    restore.add_argument("manifest", metavar="MANIFEST", help="printed by act")
    restore.add_argument("--dry-run", action="store_true", help="print what would be restored")
    _add_quiet(restore)
    restore.set_defaults(run=run_undo)
    return parser


def _add_reference(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--reference", metavar="DIR", action="append", default=[], help=f"reference folder: {what}"
    )


def _add_keep(parser: argparse.ArgumentParser, text: str, default: str | None = None) -> None:
    parser.add_argument("--keep", choices=KEEP_POLICIES, default=default, help=text)


def _add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars or details")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    for stream in (sys.stdout, sys.stderr):  # file names that are not valid UTF-8 still print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.ERROR if args.quiet else logging.WARNING, format="%(message)s"
    )
    for handler in logging.getLogger().handlers:  # log lines name files: print them safely
        handler.setFormatter(ShownFormatter("%(message)s"))
    try:
        return args.run(args)
    except (UsageError, OSError, ValueError) as exc:
        print(f"imagededup: error: {shown(str(exc))}", file=sys.stderr)
        return 2
    except RecursionError:
        print("imagededup: error: an input file is nested too deeply to be read", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("imagededup: interrupted", file=sys.stderr)
        return 130


def run_find(args: argparse.Namespace) -> int:
    method = METHODS[args.method]
    threshold = None
    if args.threshold is not None:
        try:
            threshold = method.finder.parse_threshold(args.threshold)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"--threshold {args.threshold}: {exc}") from None
    references = check_folders(args.reference)
    folders = check_folders(args.paths) + references
    for out in (args.json, args.report):
        if out is not None and not Path(out).absolute().parent.is_dir():
            raise UsageError(f"cannot write {out}: its folder does not exist")

    cache_file = None if args.no_cache or args.ray else (args.cache or default_cache())
    with contextlib.ExitStack() as stack:
        finder = method.make(
            not args.quiet, cache_file, backend=args.backend, precision=args.precision
        )
        scanner = ray_finder(finder, args, stack) if args.ray else finder
        stack.enter_context(following_symlinks(args.follow_symlinks))
        scan = scan_folders(scanner, folders, args.recursive, threshold)
    reference_names = [relative_name(folder, scan.root) for folder in references]
    info = cache(lambda name: file_info(scan.root / name))
    content = cache(lambda name: measure(scan.root / name))

    def is_reference(name: str) -> bool:
        return in_folders(name, reference_names)

    groups = [
        keep_group(files, args.keep, info, is_reference, content)
        for files in groups_from_map(scan.duplicates)
    ]
    scores = best_scores(scan.duplicates, method.finder.higher_is_closer)
    for number, group in enumerate(groups, 1):
        print_group(number, len(groups), group, info, scores, method.score_label)
    summary = find_summary(len(scan.duplicates), groups, info, args.keep, len(scan.skipped))
    print(summary)
    if args.json:
        save_json(scan.duplicates, args.json)
        record = record_scan(
            scan.root,
            groups,
            info,
            method=args.method,
            threshold=threshold,
            keep=args.keep,
            references=reference_names,
            progress=not args.quiet,
        )
        save_record(record, args.json)
        print(
            f"wrote {shown(args.json)} (names relative to {shown(scan.root)})"
            f" and {shown(record_path(args.json))}"
        )
    if args.report:
        write_report(
            args.report,
            groups,
            scan.root,
            info,
            scores,
            summary=summary,
            score_label=method.score_label,
            progress=not args.quiet,
        )
        print(f"wrote {args.report}")
    if args.plot:
        folder = Path(args.plot)
        folder.mkdir(parents=True, exist_ok=True)
        for number, group in enumerate(groups, 1):
            outfile = folder / f"group-{number:05d}.png"
            plot_duplicates(scan.root, scan.duplicates, group.keep[0], outfile)
        print(f"wrote {len(groups)} plots into {folder}")
    return 1 if groups and args.fail_on_duplicates else 0


def ray_finder(cnn: Finder, args: argparse.Namespace, stack: contextlib.ExitStack) -> FolderFinder:
    """``find --ray``: encode on Ray into ``--ray-output`` (or a temporary folder), search there
    or on Ray."""
    if not isinstance(cnn, CNN):
        raise UsageError(f"--ray encodes with a CNN model, not --method {args.method}")
    try:
        from imagededup.distributed.finder import RayFinder
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    output = args.ray_output or stack.enter_context(
        tempfile.TemporaryDirectory(prefix="imagededup-ray-")
    )
    return RayFinder(cnn, output, None if args.ray == "local" else args.ray)


def run_evaluate(args: argparse.Namespace) -> int:
    """Print each metric of ``evaluate`` for a result against a ground truth."""
    truth = load_duplicate_map(args.ground_truth)
    result = load_duplicate_map(args.result)
    for name, value in evaluate(truth, result, metric=args.metric).items():
        shown = f"{value:.4f}" if isinstance(value, float) else ", ".join(f"{v:.4f}" for v in value)
        print(f"{name}: {shown}")
    return 0


def print_group(
    number: int,
    total: int,
    group: Group,
    info: Callable[[str], FileInfo],
    scores: dict[str, float],
    score_label: str,
) -> None:
    """One group: each file with what happens to it, its resolution, size and best score."""
    print(f"group {number} of {total}:")
    for name in group.files:
        facts = info(name)
        score = f", {score_label} {format_score(scores[name])}" if name in scores else ""
        size = f"{facts.width}x{facts.height}, {human(facts.size)}{score}"
        print(f"  {group.status(name):<9}  {shown(name)}  ({size})")


def find_summary(
    images: int, groups: Sequence[Group], info: Callable[[str], FileInfo], keep: str, skipped: int
) -> str:
    """One line of totals, as printed and as heading the report."""
    duplicates = sum(len(group.remove) for group in groups)
    return (
        f"{count(images, 'image')}, {count(len(groups), 'duplicate group')},"
        f" {count(duplicates, 'duplicate')} to remove"
        f" ({human(reclaimable_bytes(groups, info))} reclaimable, keeping {keep}),"
        f" {skipped} skipped"
    )


def count(number: int, noun: str) -> str:
    """``"1 image"``, ``"2 images"``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def human(size: float) -> str:
    """Bytes in decimal units: ``1.2 MB``."""
    units = ["B", "kB", "MB", "GB", "TB"]
    unit = 0
    while size >= 1000 and unit < len(units) - 1:
        size /= 1000
        unit += 1
    return f"{size:.1f} {units[unit]}" if unit else f"{size} B"


def run_act(args: argparse.Namespace) -> int:
    result, duplicates, root, record = _act_sources(args)
    action, value = _chosen_action(args)
    if action.asks and not (args.yes or args.dry_run) and not sys.stdin.isatty():
        raise UsageError(
            f"{action.flag} needs --yes when the input is not a terminal to confirm on"
        )
    manifest, storage = action.storage(value, result)
    groups, left_alone = _act_groups(args, duplicates, root, record)
    if args.decisions is not None:
        decided = decide(groups, load_decisions(args.decisions), duplicates)
        for message in decided.messages:
            print(shown(message))
        groups, left_alone = decided.groups, left_alone + decided.left_alone
    steps = plan(action.name, groups, root, storage, record.sha256 if record else {})
    todo = [step for step in steps if step.skip is None]
    left_alone += len(steps) - len(todo)
    for step in steps:
        if step.skip is not None:
            print(f"leave {_name(step.file, root)}: {shown(step.skip)}")
    if args.dry_run:
        for step in todo:
            print(f"would {_describe(step, root)}")
        print(
            f"dry run: would {action.name} {count(len(todo), 'file')} ({_total(todo)});"
            " nothing changed"
        )
        return 1 if left_alone else 0
    if not todo:
        print("nothing to do")
        return 1 if left_alone else 0
    if action.asks and not args.yes and not _confirm(len(todo), _total(todo), storage):
        print("cancelled; nothing changed")
        return 1

    def report(outcome: Outcome) -> None:
        if outcome.error is not None:
            print(f"failed to {_describe(outcome.step, root)}: {shown(outcome.error)}")
        elif not args.quiet:
            print(_describe(outcome.step, root, done=True))

    outcomes = apply(steps, manifest, root, storage, report)
    failed = sum(outcome.error is not None for outcome in outcomes)
    done = [outcome.step for outcome in outcomes if outcome.error is None]
    print(
        action.done.format(files=count(len(done), "file"), size=_total(done))
        + f"; {left_alone} left alone, {failed} failed"
    )
    if action.keeps_originals_aside:
        print(f"the original files are in {shown(storage)}; delete that folder to free the space")
    print(f"manifest: {shown(manifest)}\nto undo: imagededup undo {shown(manifest)}")
    return 1 if left_alone or failed else 0


def _chosen_action(args: argparse.Namespace) -> tuple[Action, str | None]:
    """The action whose flag was given, and the flag's value (a folder, or None)."""
    for action in ACTIONS.values():
        value = getattr(args, action.flag.lstrip("-").replace("-", "_"))
        if value:
            return action, value if isinstance(value, str) else None
    raise UsageError(f"choose an action: {', '.join(a.flag for a in ACTIONS.values())}")


def _act_sources(args: argparse.Namespace) -> tuple[Path, dict, Path, ScanRecord | None]:
    """The result file, its duplicate map, the root of its names, and its scan record if any."""
    result = Path(args.result).absolute()
    if not result.is_file():
        raise UsageError(f"no such result file: {args.result}")
    duplicates = load_duplicate_map(result)
    record = load_record(result)
    if args.root is not None:
        return result, duplicates, check_folders([args.root])[0], record
    if record is not None:
        return result, duplicates, check_folders([record.root])[0], record
    raise UsageError(
        f"{args.result} has no scan record ({record_path(args.result).name}): pass --root DIR,"
        " the folder its names are relative to"
    )


def _act_groups(
    args: argparse.Namespace, duplicates: dict, root: Path, record: ScanRecord | None
) -> tuple[list[Group], int]:
    """The groups of the result with their kept files, and how many files are left alone
    because their group could not be ranked (a file gone, without a scan record to rank by)."""
    names = groups_from_map(duplicates)
    check_relative_names((name for files in names for name in files), args.result)
    references = list(record.references) if record else []
    for folder in check_folders(args.reference):
        if not folder.is_relative_to(root):
            raise UsageError(f"reference folder {folder} is not under the root {root}")
        references.append(relative_name(folder, root))
    keep = args.keep or (record.keep if record else DEFAULT_KEEP)
    recorded = record.files if record else {}
    live = cache(lambda name: file_info(root / name))
    content = cache(lambda name: measure(root / name))

    def info(name: str) -> FileInfo:
        return recorded.get(name) or live(name)

    def is_reference(name: str) -> bool:
        return in_folders(name, references)

    groups, left_alone = [], 0
    for found in names:
        files = [name for name in found if not in_own_output(root / name, root)]
        for name in found:
            if name not in files:
                print(f"leave {shown(name)}: in a folder imagededup moved files into (never kept)")
                left_alone += 1
        if len(files) < 2:
            continue
        try:
            groups.append(keep_group(files, keep, info, is_reference, content))
        except OSError as exc:
            print(f"leave group of {shown(', '.join(files))}: {shown(str(exc))}")
            left_alone += len(files) - 1
    return groups, left_alone


def _describe(step: Step, root: Path, done: bool = False) -> str:
    name = _name(step.file, root)
    if step.action == "hardlink":
        verb = "linked" if done else "link"
        return f"{verb} {name} -> {_name(step.kept, root)} (original to {shown(step.stored)})"
    return f"{'moved' if done else 'move'} {name} -> {shown(step.stored)}"


def _name(path: Path, root: Path) -> str:
    return shown(relative_name(path, root) if path.is_relative_to(root) else path)


def _total(steps: Sequence[Step]) -> str:
    return human(sum(step.size for step in steps))


def _confirm(number: int, size: str, storage: Path) -> bool:
    duplicates = count(number, "duplicate")
    answer = input(f"move {duplicates} ({size}) into the trash folder {shown(storage)}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run_undo(args: argparse.Namespace) -> int:
    manifest = Path(args.manifest).absolute()
    if not manifest.is_file():
        raise UsageError(f"no such manifest: {args.manifest}")
    record, steps = plan_undo(manifest)
    todo = [step for step in steps if step.skip is None]
    for step in steps:
        if step.skip is not None:
            print(f"cannot restore {shown(step.file)}: {shown(step.skip)}")
    if not steps:
        if not args.dry_run:
            undo(record, steps, manifest)  # marks the manifest, removes the run's empty folders
        print("nothing to undo: every file is already in place")
        return 0
    if args.dry_run:
        for step in todo:
            print(f"would restore {shown(step.file)} from {shown(step.stored)}")
        print(f"dry run: would restore {count(len(todo), 'file')}; nothing changed")
        return 0

    def report(outcome: Outcome) -> None:
        if outcome.error is not None:
            print(f"failed to restore {shown(outcome.step.file)}: {shown(outcome.error)}")
        elif not args.quiet:
            print(f"restored {shown(outcome.step.file)}")

    outcomes = undo(record, steps, manifest, report)
    restored = sum(outcome.error is None for outcome in outcomes)
    print(f"restored {count(restored, 'file')}; {len(steps) - restored} could not be restored")
    return 0 if restored == len(steps) else 1
