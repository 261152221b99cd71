"""Hostile rule documents through validation: crashes and time per document.

    .venv/bin/python benchmarks/fuzz_rules.py [--count 10000] [--seed 0] [RULE_PATH ...]

Mutates the valid rules in ``examples/rules`` (or the paths given) into ``--count`` rule
files (YAML and JSON: wrong types, huge values, deep nesting, unknown keys, odd Unicode,
big integers, NaN, YAML aliases and merge keys, cut and flipped bytes; see
``footfall.rules.fuzzing``) and validates each one with the function ``footfall rules
validate`` uses. Prints the count, the documents found valid, the crashes (anything but
a list of problems; the first ones are shown), and the slowest and 99th-percentile
validation in CPU time of the validating thread and in wall-clock time. Exits 1 on a
crash or a validation slower than one second of CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from footfall.rules.fuzzing import hostile_rule_documents, load_seed_rules, run_rule_fuzz

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "examples" / "rules")])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    seeds = load_seed_rules(args.paths)
    started = time.perf_counter()
    report = run_rule_fuzz(hostile_rule_documents(seeds, seed=args.seed, count=args.count))
    elapsed = time.perf_counter() - started
    print(f"documents: {report.count} ({report.valid} valid) from {len(seeds)} seed rules")
    print(f"crashes: {len(report.crashes)}")
    print(
        f"slowest: {report.slowest * 1000:.1f} ms CPU ({report.slowest_kind}), "
        f"{report.slowest_wall * 1000:.1f} ms wall"
    )
    print(
        f"p99: {report.percentile(99) * 1000:.2f} ms CPU, "
        f"{report.percentile(99, wall=True) * 1000:.2f} ms wall"
    )
    print(f"median: {report.percentile(50) * 1000:.2f} ms CPU; run: {elapsed:.0f} s")
    for crash in report.crashes[:5]:
        print(crash, file=sys.stderr)
    return 1 if report.crashes or report.slowest >= 1.0 else 0


if __name__ == "__main__":
    sys.exit(main())
