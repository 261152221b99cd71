"""The one-closure fast paths agree with the generic evaluation of the same operator.

``{field: {op: v}}`` compiles to a fast closure; ``{field: {op: v, exists: true}}`` takes
the generic path and means the same (every operator but ``exists`` fails on a missing
value), so both must agree on every context.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from .helpers import NOW, ctx, rule_with

LEAVES: list[tuple[str, str, Any]] = [
    ("current_page", "eq", "https://example.com/Pricing"),
    ("current_page", "in", ["https://example.com/pricing", "https://example.com/"]),
    ("current_page", "contains", "PRICING"),
    ("current_page", "starts_with", "https://example.com/p"),
    ("current_page", "matches", "pric(e|ing)$"),
    ("sent_message", "contains", "hello"),
    ("hits", "gte", 3),
    ("hits", "lt", 2),
    ("duration_minutes", "gt", 1.5),
    ("duration_minutes", "between", [1, 5]),
    ("time_of_day", "between", ["09:00", "17:00"]),
    ("time_of_day", "between", ["22:00", "06:00"]),
    ("day_of_week", "in", ["mon", "sat"]),
    ("day_of_week", "not_in", ["mon", "sat"]),
]
PAGES = ["https://example.com/pricing", "https://example.com/", "https://EXAMPLE.com/price", None]


@pytest.mark.parametrize(("field", "op", "value"), LEAVES)
@pytest.mark.parametrize("timezone", ["UTC", "Asia/Kolkata"])
def test_fast_and_generic_paths_agree(field: str, op: str, value: Any, timezone: str) -> None:
    fast = rule_with({field: {op: value}}, timezone=timezone)
    generic = rule_with({field: {op: value, "exists": True}}, timezone=timezone)
    rng = random.Random(f"{field}{op}{timezone}")
    outcomes = set()
    for _ in range(300):
        facts: dict[str, object] = {}
        page = rng.choice(PAGES)
        if page is not None:
            facts["current_page"] = page
            facts["sent_message"] = page.replace("pricing", "hello")
        if rng.random() < 0.8:
            facts["hits"] = rng.randint(0, 5)
        if rng.random() < 0.8:
            facts["duration_minutes"] = rng.random() * 6
        context = ctx(facts, now=NOW + rng.randint(0, 7 * 86400))
        result = fast.holds(context)
        assert result == generic.holds(context), (facts, context.now)
        outcomes.add(result)
    assert outcomes == {True, False}


@pytest.mark.parametrize("op", ["gte", "gt", "lt", "lte"])
def test_windowed_count_fast_path_agrees_with_the_generic_one(op: str) -> None:
    fast = rule_with({"hits": {op: 2, "window": "5m"}})
    generic = rule_with({"hits": {op: 2, "window": "5m", "exists": True}})
    rng = random.Random(op)
    outcomes = set()
    for _ in range(300):
        now = NOW + rng.randint(0, 3600)
        hits = sorted(now - rng.randint(-60, 900) for _ in range(rng.randint(0, 5)))
        context = ctx({"hits": len(hits)}, now=now, events={"hits": hits})
        result = fast.holds(context)
        assert result == generic.holds(context), (hits, now)
        outcomes.add(result)
    assert outcomes == {True, False}
