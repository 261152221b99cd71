"""The fixed benchmark workload the benchmarks share: where it is, and making it once.

``add_arguments`` gives a benchmark ``--workload DIR``, ``--generator SCRIPT`` and
``--limit N``; ``ensure`` runs the generator (``../shared/bench/workload.py`` next to
the repository by default) into DIR unless DIR already holds ``rules.json`` and
``events.jsonl``, and returns their paths.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

DEFAULT_GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "workload.py"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--workload", type=Path, default=Path("/tmp/footfall-bench"))
    ap.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    ap.add_argument("--limit", type=int, default=0, help="only the first N events")


def ensure(args: argparse.Namespace) -> tuple[Path, Path]:
    """``(rules.json, events.jsonl)`` of ``args.workload``, generated if missing."""
    rules, events = args.workload / "rules.json", args.workload / "events.jsonl"
    if not rules.exists() or not events.exists():
        command = [sys.executable, str(args.generator), "--out", str(args.workload)]
        subprocess.run(command, check=True)
    return rules, events
