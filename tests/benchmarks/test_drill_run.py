"""The short fault drill loses no command and no execution (docs/reliability.md).

Run by ``./scripts/test`` with ``FOOTFALL_DRILL=1`` (see ``conftest.py``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DRILL = Path(__file__).resolve().parents[2] / "benchmarks" / "drill.py"
LAST_LINE = re.compile(
    r"lost commands: 0, lost executions: 0, duplicates: \d+, dead letters: \d+, who's on: \w+"
)


def test_the_short_drill_loses_no_command_and_no_execution(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(DRILL), "--short", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=1200, env=dict(os.environ), check=False,
    )  # fmt: skip
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert lines, run.stderr[-3000:]
    print(run.stdout)
    assert LAST_LINE.fullmatch(lines[-1]), run.stdout[-5000:]
    assert run.returncode == 0, run.stdout[-5000:]
