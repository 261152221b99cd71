"""Condition trees: all/any/not, bare lists, single leaves, absent when, shared leaves."""

from __future__ import annotations

from typing import Any

import pytest

from footfall.rules import EvalContext, RuleSet, compile_rule, conditions

from .helpers import ctx, holds, raw_rule

FACTS = {"country": "DE", "hits": 5, "language": "de-DE"}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (None, True),
        ({"country": {"eq": "de"}}, True),
        ([{"country": {"eq": "de"}}, {"hits": {"gte": 5}}], True),
        ([{"country": {"eq": "de"}}, {"hits": {"gte": 6}}], False),
        ({"all": [{"country": {"eq": "de"}}, {"hits": {"gte": 6}}]}, False),
        ({"all": []}, True),
        ({"any": [{"country": {"eq": "fr"}}, {"hits": {"gte": 5}}]}, True),
        ({"any": [{"country": {"eq": "fr"}}, {"hits": {"gte": 6}}]}, False),
        ({"not": {"country": {"eq": "fr"}}}, True),
        ({"not": {"country": {"eq": "de"}}}, False),
        ({"not": [{"country": {"eq": "de"}}, {"hits": {"gt": 9}}]}, True),
        (
            {
                "all": [
                    {"hits": {"gte": 3}},
                    {
                        "any": [
                            {"country": {"in": ["AT", "CH"]}},
                            {"language": {"starts_with": "de"}},
                        ]
                    },
                    {"not": {"any": [{"country": {"eq": "us"}}, {"hits": {"gt": 100}}]}},
                ]
            },
            True,
        ),
    ],
)
def test_groups(when: Any, expected: bool) -> None:
    assert holds(when, FACTS) is expected


def test_not_of_missing_value_holds() -> None:
    assert holds({"not": {"customer_email": {"contains": "@example.com"}}}, {})


class CountingContext(EvalContext):
    """A context that counts how often each window is counted and each fact read (fact
    reads only in the pure-Python build: compiled code reads a dict's items directly)."""

    def __init__(self, facts: dict[str, object]) -> None:
        self.reads: dict[str, int] = {}
        outer = self

        class Facts(dict[str, object]):
            def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
                outer.reads[key] = outer.reads.get(key, 0) + 1
                return super().get(key, default)

        super().__init__(0.0, Facts(facts))

    def window_count(self, field: str, seconds: float) -> int:
        self.reads[f"window:{field}"] = self.reads.get(f"window:{field}", 0) + 1
        return 0


def test_identical_leaves_are_evaluated_once_per_matching_call() -> None:
    shared = {"hits": {"gte": 2, "window": "5m"}}
    rules = [
        compile_rule(
            raw_rule(
                id=f"r{i}", when={"all": [{"site": {"eq": "main"}}, shared, {"any": [shared]}]}
            )
        )
        for i in range(20)
    ]
    counting = CountingContext({"site": "main"})
    assert RuleSet(rules).matching("online_activity", counting) == []
    assert counting.reads["window:hits"] == 1


def test_the_intern_table_is_bounded_and_still_shares_after_a_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conditions, "_INTERNED", {})
    monkeypatch.setattr(conditions, "MAX_INTERNED", 8)
    for i in range(40):  # rule changes over a long run: ever new conditions
        compile_rule(raw_rule(id=f"r{i}", when={"hits": {"gte": i}}))
        assert len(conditions._INTERNED) <= 8
    shared = {"all": [{"site": {"eq": "main"}}, {"hits": {"gte": 2, "window": "5m"}}]}
    first = compile_rule(raw_rule(id="a", when=shared))
    second = compile_rule(raw_rule(id="b", when=shared))
    assert first.when is not None and second.when is not None
    assert first.when.test is second.when.test
    counting = CountingContext({"site": "main"})
    assert RuleSet([first, second]).matching("online_activity", counting) == []
    assert counting.reads["window:hits"] == 1


def test_cheap_conditions_run_before_regexes() -> None:
    rule = compile_rule(
        raw_rule(when=[{"current_page_title": {"matches": "x+"}}, {"hits": {"gt": 1}}])
    )
    counting = CountingContext({"hits": 0, "current_page_title": "xx"})
    assert not RuleSet([rule]).matching("online_activity", counting)
    assert "current_page_title" not in counting.reads


def test_holds_needs_no_index() -> None:
    rule = compile_rule(raw_rule(when={"country": {"in": ["de"]}}))
    assert rule.holds(ctx({"country": "DE"}))
    assert not rule.holds(ctx({"country": "FR"}))
