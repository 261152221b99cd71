"""The optional compiled build of footfall's pure core (everything else is in pyproject.toml).

With ``FOOTFALL_COMPILE=1`` the modules listed in :data:`COMPILED` are compiled with
mypyc into C extensions; without it the package is pure Python. Both behave the same
(``scripts/test`` runs every test on both); the compiled one is faster
(docs/performance.md). mypyc type-checks the core as it compiles, so the build runs
where footfall's dependencies and its ``compile`` extra are installed, without build
isolation (``scripts/compile``, the Dockerfile)::

    FOOTFALL_COMPILE=1 pip wheel --no-build-isolation --no-deps --wheel-dir dist .

Build a wheel or into a directory, never an editable install: a compiled module next to
its source would hide later edits of it.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

#: The core that runs per event: parsing, state, rule evaluation, ticks, commands.
COMPILED = [
    "src/footfall/engine/commands.py",
    "src/footfall/engine/domains.py",
    "src/footfall/engine/engine.py",
    "src/footfall/engine/facts.py",
    "src/footfall/engine/feedback.py",
    "src/footfall/engine/horizon.py",
    "src/footfall/engine/quiet.py",
    "src/footfall/engine/state.py",
    "src/footfall/engine/throttle.py",
    "src/footfall/engine/timing.py",
    "src/footfall/engine/transitions.py",
    "src/footfall/events/model.py",
    "src/footfall/events/parsing.py",
    "src/footfall/events/timestamps.py",
    "src/footfall/events/useragent.py",
    "src/footfall/rules/actions.py",
    "src/footfall/rules/clock.py",
    "src/footfall/rules/conditions.py",
    "src/footfall/rules/context.py",
    "src/footfall/rules/operators.py",
    "src/footfall/rules/ruleset.py",
    "src/footfall/rules/templates.py",
    "src/footfall/rules/values.py",
    "src/footfall/simulation.py",
    "src/footfall/cli/simulate.py",
]


def _extensions() -> list[object]:
    if os.environ.get("FOOTFALL_COMPILE", "") not in {"1", "true", "yes"}:
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        sys.exit(
            "FOOTFALL_COMPILE=1 builds in an environment with footfall's dependencies and its "
            "'compile' extra installed, with pip's --no-build-isolation (see scripts/compile)"
        )

    return list(mypycify(COMPILED, opt_level="3", verbose=False))


setup(ext_modules=_extensions())
