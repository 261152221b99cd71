"""RuleSet: per-event lookup, indexed matching equals a loop over every rule, live updates."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from footfall.rules import CompiledRule, RuleSet, compile_rule, ruleset
from footfall.rules.ruleset import _positions

from .helpers import NOW, ctx, raw_rule

PAGES = ["/", "/pricing", "/pricing/enterprise", "/docs", "/docs/api", "/Blog", "/checkout/done"]
COUNTRIES = ["DE", "AT", "US", "FR", "JP"]


def random_leaf(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(12)
    page = rng.choice(PAGES)
    if choice == 0:
        return {"current_virtual_page": {"eq": page.upper() if rng.random() < 0.3 else page}}
    if choice == 1:
        return {"current_virtual_page": {"starts_with": page}}
    if choice == 2:
        return {"current_page": {"contains": page}}
    if choice == 3:
        return {"current_page": {"ends_with": page}}
    if choice == 4:
        return {"country": {"in": rng.sample(COUNTRIES, 2)}}
    if choice == 5:
        return {"hits": {"gte": rng.randint(1, 5)}}
    if choice == 6:
        return {"hits": {"gte": rng.randint(1, 3), "window": rng.choice(["1m", "5m"])}}
    if choice == 7:
        return {"customer_email": {"exists": rng.random() < 0.5}}
    if choice == 8:
        return {"time_of_day": {"between": rng.choice([["09:00", "17:00"], ["22:00", "06:00"]])}}
    if choice == 9:
        return {"any": [random_leaf(rng), random_leaf(rng)]}
    if choice == 10:
        return {"not": random_leaf(rng)}
    return {"site": {"eq": rng.choice(["main", "docs"])}}


def random_rules(rng: random.Random, n: int) -> list[CompiledRule]:
    rules = []
    for i in range(n):
        when: Any = [random_leaf(rng) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.2:
            when = when[0]
        rules.append(
            compile_rule(
                raw_rule(
                    id=f"r{i:03d}",
                    event=rng.choice(["online_activity", "live_chat_invited"]),
                    enabled=rng.random() > 0.1,
                    timezone=rng.choice(["UTC", "Asia/Tokyo"]),
                    when=when,
                )
            )
        )
    return rules


def random_context(rng: random.Random) -> Any:
    page = rng.choice(PAGES)
    facts: dict[str, object] = {
        "hits": rng.randint(0, 6),
        "site": rng.choice(["main", "docs", "Main"]),
    }
    if rng.random() < 0.9:
        facts["current_virtual_page"] = page
        facts["current_page"] = "https://example.com" + page
    if rng.random() < 0.8:
        facts["country"] = rng.choice(COUNTRIES).lower()
    if rng.random() < 0.3:
        facts["customer_email"] = "a@example.com"
    now = NOW + rng.randint(0, 86400)
    hits = sorted(now - rng.randint(0, 600) for _ in range(rng.randint(0, 5)))
    return ctx(facts, now=now, events={"hits": hits})


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("memo", [4096, 2])
def test_indexed_matching_equals_evaluating_every_rule(
    seed: int, memo: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # also with the value and candidate memos overflowing
    monkeypatch.setattr(ruleset, "_VALUE_MEMO", memo)
    monkeypatch.setattr(ruleset, "_CANDIDATE_MEMO", memo)
    rng = random.Random(seed)
    rules = RuleSet(random_rules(rng, 150))
    fired = 0
    for _ in range(300):
        context = random_context(rng)
        for event in ("online_activity", "live_chat_invited", "live_chat_ended"):
            expected = [r for r in rules.rules_for(event) if r.holds(context)]
            assert rules.matching(event, context) == expected
            fired += len(expected)
    assert fired > 100  # the comparison is not vacuous


def test_rules_for_is_enabled_rules_by_id() -> None:
    rules = RuleSet(
        [
            compile_rule(raw_rule(id="b")),
            compile_rule(raw_rule(id="a")),
            compile_rule(raw_rule(id="c", enabled=False)),
            compile_rule(raw_rule(id="d", event="live_chat_ended")),
        ]
    )
    assert [r.id for r in rules.rules_for("online_activity")] == ["a", "b"]
    assert [r.id for r in rules.matching("online_activity", ctx())] == ["a", "b"]
    assert rules.rules_for("online_visitor_purged") == ()
    assert list(rules.rules) == ["a", "b", "c", "d"]


def test_max_windows_per_count_field() -> None:
    rules = RuleSet(
        [
            compile_rule(raw_rule(id="a", when={"hits": {"gte": 1, "window": "10m"}})),
            compile_rule(
                raw_rule(
                    id="b",
                    when={
                        "any": [
                            {"hits": {"gte": 1, "window": "1h"}},
                            {"invites_sent": {"lt": 2, "window": "1d"}},
                        ]
                    },
                )
            ),
            compile_rule(raw_rule(id="c", when={"hits": {"gte": 1}})),
        ]
    )
    assert dict(rules.max_windows) == {"hits": 3600.0, "invites_sent": 86400.0}


def test_with_rule_and_without_return_new_sets() -> None:
    first = compile_rule(raw_rule(id="a", when={"country": {"eq": "de"}}))
    rules = RuleSet([first])
    changed = rules.with_rule(compile_rule(raw_rule(id="a", when={"country": {"eq": "fr"}})))
    added = changed.with_rule(compile_rule(raw_rule(id="b")))
    assert [r.id for r in rules.matching("online_activity", ctx({"country": "DE"}))] == ["a"]
    assert changed.matching("online_activity", ctx({"country": "DE"})) == []
    assert [r.id for r in added.matching("online_activity", ctx({"country": "FR"}))] == ["a", "b"]
    assert list(added.without("a").rules) == ["b"]
    assert added.without("zzz") is added


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate rule id 'a'"):
        RuleSet([compile_rule(raw_rule(id="a")), compile_rule(raw_rule(id="a"))])


def test_rebuilding_a_thousand_rules_is_fast() -> None:
    rules = RuleSet(random_rules(random.Random(7), 1000))
    started = time.perf_counter()
    rules.with_rule(compile_rule(raw_rule(id="new")))
    assert time.perf_counter() - started < 0.5


@given(st.integers(min_value=0, max_value=(1 << 1200) - 1))
def test_mask_positions_are_the_set_bits_ascending(mask: int) -> None:
    assert list(_positions(mask)) == [i for i in range(mask.bit_length()) if mask >> i & 1]
