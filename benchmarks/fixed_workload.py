"""The fixed benchmark workload the benchmarks share: where it is, and making it once.

``add_arguments`` gives a benchmark ``--workload DIR`` and ``--limit N``; ``ensure``
writes the workload (``benchmarks/workload.py``: 1,000 rules, 10,000 visitors, 200,000
events, fixed seed) into DIR unless DIR already holds ``rules.json`` and
``events.jsonl``, and returns their paths.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import workload


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--workload", type=Path, default=Path("/tmp/footfall-bench"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N events")


def ensure(args: argparse.Namespace) -> tuple[Path, Path]:
    """``(rules.json, events.jsonl)`` of ``args.workload``, generated if missing."""
    rules, events = args.workload / "rules.json", args.workload / "events.jsonl"
    if not rules.exists() or not events.exists():
        workload.write(args.workload, rules=1000, visitors=10000, count=200000, seed=20261124)
    return rules, events
