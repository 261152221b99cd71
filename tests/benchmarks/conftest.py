"""The short fault drill (``test_drill_run.py``) runs only when asked for.

It takes minutes and runs the whole system, so ``./scripts/test`` runs it once, on the
compiled build, as a step of its own with ``FOOTFALL_DRILL=1``; other pytest runs leave
it out (deselected, not skipped).
"""

from __future__ import annotations

import os

import pytest

DRILL_MODULE = "test_drill_run.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("FOOTFALL_DRILL") == "1":
        return
    drill = [item for item in items if item.path.name == DRILL_MODULE]
    if drill:
        config.hook.pytest_deselected(items=drill)
        items[:] = [item for item in items if item.path.name != DRILL_MODULE]
