"""CLI: python -m orchestration.generator --activities N --seed S --out DIR
[--format parquet|csv] [--end-date YYYY-MM-DD]"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from . import FORMATS, generate, parse_end_date


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.generator",
        description="Write deterministic sample Dataverse landing files (one per table).",
    )
    parser.add_argument("--activities", type=int, default=50_000, help="emails+meetings+calls")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--format", choices=FORMATS, default="parquet")
    parser.add_argument(
        "--end-date",
        type=parse_end_date,
        default=None,
        help="YYYY-MM-DD; history ends at its 00:00 UTC, the future starts a day later "
        "(default: today, UTC)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    counts = generate(
        args.out,
        activities=args.activities,
        seed=args.seed,
        fmt=args.format,
        end_date=args.end_date,
    )
    width = max(map(len, counts))
    for table, rows in counts.items():
        print(f"{table:<{width}}  {rows:>12,}")
    print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
