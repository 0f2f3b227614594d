"""`python -m reports`: build the static compatibility report from one or more result sets.

    python -m reports --results reports/evidence --out reports/site [--previous DIR]

Unreadable inputs are named on stderr and skipped; the exit status is 0 whenever a site was
written, so a damaged result file never costs the whole report (2: bad arguments or the
output folder cannot be written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports.site import build_site


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--results",
        "--evidence",
        dest="results",
        action="append",
        type=Path,
        metavar="DIR",
        help="a result set: a folder of <test>/result.json (e.g. reports/evidence, or the "
        "evidence/ folder of a built site); repeat to merge several (default: reports/evidence)",
    )
    parser.add_argument(
        "--previous",
        type=Path,
        metavar="DIR",
        help="the result set of an earlier run, for the history page (e.g. the evidence/ "
        "folder of the last published site)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("reports/site"), help="output folder (replaced)"
    )
    parser.add_argument(
        "--no-decode",
        action="store_true",
        help="never run tshark for evidence without facts.json (no ladder for those)",
    )
    parser.add_argument("--title", default="winterop: Windows IKEv2 client vs strongSwan")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    results = args.results or [Path("reports/evidence")]
    try:
        built = build_site(
            results,
            args.out,
            previous=args.previous,
            decode_missing=not args.no_decode,
            title=args.title,
        )
    except OSError as exc:
        print(f"reports: cannot write the site to {args.out}: {exc}", file=sys.stderr)
        return 2
    for problem in built.problems:
        print(f"reports: {problem}", file=sys.stderr)
    changes = ", ".join(f"{n} {c}" for c, n in built.changes.items() if n and c != "unchanged")
    print(
        f"reports: {built.cells} tests -> {built.out / 'index.html'} "
        f"in {built.seconds:.2f} s"
        + (f"; vs previous: {changes or 'no change'}" if built.changes else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
