"""The ``imagededup`` command line: ``imagededup find PATH`` prints the duplicate groups.

argparse keeps the command free of extra dependencies and is what every Python user already has.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from collections.abc import Sequence

from imagededup.groups import groups_from_map
from imagededup.methods.cnn import CNN
from imagededup.models.registry import BUILTIN_MODELS, DEFAULT_MODEL
from imagededup.results import save_json


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imagededup", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    find = commands.add_parser("find", help="find duplicate images in a folder")
    find.add_argument("path", help="folder of images")
    find.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(BUILTIN_MODELS))
    find.add_argument(
        "--threshold", type=float, help="minimum cosine similarity (default: model's)"
    )
    find.add_argument("--no-recursive", dest="recursive", action="store_false")
    find.add_argument("--json", metavar="OUT", help="write {file: [(duplicate, score)]} to OUT")
    find.add_argument("--quiet", action="store_true", help="no progress bar")
    add_ray_arguments(find)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 usage error)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.ERROR if args.quiet else logging.WARNING, format="%(message)s"
    )
    if args.ray is not None:
        return find_with_ray(args)
    try:
        cnn = CNN(model=args.model, verbose=not args.quiet)
        result = cnn.find_duplicates(
            image_dir=args.path,
            min_similarity_threshold=args.threshold,
            scores=True,
            recursive=args.recursive,
        )
    except (OSError, ValueError, TypeError) as exc:
        print(f"imagededup: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        save_json(result, args.json)
    print_summary(result, cnn.skipped)
    return 0


def print_summary(result: dict[str, list[tuple[str, float]]], skipped: dict[str, str]) -> None:
    """Each group of duplicates, then one line of totals."""
    groups = groups_from_map(result)
    for number, group in enumerate(groups, 1):
        print(f"group {number}:")
        for name in group:
            print(f"  {name}")
    print(f"{len(result)} images, {len(groups)} duplicate groups, {len(skipped)} skipped")


def add_ray_arguments(find: argparse.ArgumentParser) -> None:
    """``find --ray [ADDRESS] [--ray-output DIR]``: encode on Ray (imagededup.distributed)."""
    find.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="encode on Ray: a local instance, or the cluster at ADDRESS ('auto',"
        " 'ray://HOST:10001'); needs imagededup[distributed]",
    )
    find.add_argument(
        "--ray-output",
        metavar="DIR",
        help="with --ray, keep the Parquet embeddings in DIR; a later run encodes only new or"
        " changed files (default: a temporary folder)",
    )


def find_with_ray(args: argparse.Namespace) -> int:
    """``find`` on Ray: encode PATH into Parquet shards, search them, print the groups."""
    try:
        from imagededup.distributed import encode_dataset, find_duplicates_from_parquet

        with contextlib.ExitStack() as stack:
            output_dir = args.ray_output or stack.enter_context(
                tempfile.TemporaryDirectory(prefix="imagededup-ray-")
            )
            encoded = encode_dataset(
                args.path,
                output_dir,
                model=args.model,
                address=None if args.ray == "local" else args.ray,
                recursive=args.recursive,
                progress=not args.quiet,
            )
            result = find_duplicates_from_parquet(
                output_dir, args.threshold, scores=True, root=args.path, files=encoded.files
            )
    except (ImportError, OSError, ValueError, TypeError) as exc:
        print(f"imagededup: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        save_json(result, args.json)
    print_summary(result, encoded.skipped)
    return 0
