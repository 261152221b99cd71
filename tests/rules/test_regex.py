"""``matches`` runs in linear time whatever the pattern (RE2)."""

from __future__ import annotations

import time

from .helpers import ctx, rule_with


def test_catastrophic_pattern_runs_in_linear_time() -> None:
    rule = rule_with({"sent_message": {"matches": "(a+)+$"}})
    text = "a" * 200_000 + "!"
    started = time.perf_counter()
    assert not rule.holds(ctx({"sent_message": text}))
    assert time.perf_counter() - started < 0.5


def test_nested_quantifiers_on_growing_input_scale_linearly() -> None:
    rule = rule_with({"sent_message": {"matches": "^(a|aa)*(b|a*)*c$"}})

    def run(n: int) -> float:
        started = time.perf_counter()
        for _ in range(20):
            rule.holds(ctx({"sent_message": "a" * n + "!"}))
        return time.perf_counter() - started

    run(1000)
    small, large = run(20_000), run(80_000)
    # Four times the input: far below the exponential blow-up of a backtracking engine.
    assert large < small * 16 + 0.05
