"""The rule validator and the worker decide what a log path is with the same function
(footfall.logpaths): a path one accepts, the other accepts too."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.worker.errors import UnsafePathError
from footfall.worker.logfiles import check_relative_path

from .helpers import problems, raw_rule

AGREEMENT = [
    "a.log", "./x", "a//x", "a\\b", "~/x", "x\ny", "x\r", "x/", "/x", "..", "a/..", ".",
    "C:x", "c:/x", "..x", "x..", "a/.hidden", " x", "x\u2028y", "x\x85y", "x\x7f",
    "a" * 255, "a" * 256, "ü" * 127, "ü" * 128, "/".join(["d"] * 512), "/".join(["d"] * 513),
]  # fmt: skip


def validator_accepts(file: str) -> bool:
    return not problems(raw_rule(actions=[{"kind": "log_to_file", "file": file}]))


def worker_accepts(file: str) -> bool:
    try:
        check_relative_path(file)
    except UnsafePathError:
        return False
    return True


@pytest.mark.parametrize("file", AGREEMENT)
def test_validator_and_worker_agree(file: str) -> None:
    assert validator_accepts(file) == worker_accepts(file)


PARTS = st.sampled_from(["a", "b", ".", "..", "/", "\\", "~", ":", " ", "\n", "\x00", "ü", "C"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PARTS, min_size=1, max_size=10).map("".join))
def test_validator_and_worker_agree_on_any_path(file: str) -> None:
    assert validator_accepts(file) == worker_accepts(file)
