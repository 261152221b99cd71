"""The compiled build (setup.py): its module list, and that a run on it really uses it.

``scripts/test`` runs every test a second time on the build from ``scripts/compile``
with ``FOOTFALL_EXPECT_COMPILED=1``; every other run expects the pure-Python modules.
Either way a mix-up (a stale compiled module shadowing its source, or a "compiled" run
importing the sources) fails here.
"""

from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def compiled_sources() -> list[str]:
    """``COMPILED`` from setup.py, read without running it."""
    for node in ast.parse((ROOT / "setup.py").read_text()).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "COMPILED" for t in targets):
                assert node.value is not None
                sources = ast.literal_eval(node.value)
                assert isinstance(sources, list)
                return [str(s) for s in sources]
    raise AssertionError("setup.py defines no COMPILED list")


def module_name(source: str) -> str:
    return source.removeprefix("src/").removesuffix(".py").replace("/", ".")


def test_every_compiled_module_exists() -> None:
    sources = compiled_sources()
    assert "src/footfall/engine/engine.py" in sources
    for source in sources:
        assert (ROOT / source).is_file(), source


@pytest.mark.parametrize("source", compiled_sources())
def test_the_run_imports_the_build_it_expects(source: str) -> None:
    module = importlib.import_module(module_name(source))
    path = module.__file__ or ""
    if os.environ.get("FOOTFALL_EXPECT_COMPILED") == "1":
        assert path.endswith(".so"), f"{module.__name__} is not compiled: {path}"
    else:
        assert path.endswith(".py"), f"{module.__name__} is not its source: {path}"
