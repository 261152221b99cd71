"""Validation never crashes: arbitrary JSON gives a rule or a RuleValidationError."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.rules import (
    RuleValidationError,
    compile_rule,
    compile_rules,
    read_definition_files,
)
from footfall.rules.fields import FIELDS
from footfall.rules.operators import OPERATORS

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
names = st.sampled_from([*sorted(FIELDS), "all", "any", "not", "hitz"])
ops = st.sampled_from([*sorted(OPERATORS), "gtee"])
leaves = st.dictionaries(
    names, st.dictionaries(ops, json_values, max_size=3), min_size=1, max_size=2
)
conditions = st.recursive(
    leaves | json_values,
    lambda children: (
        st.lists(children, max_size=3)
        | st.fixed_dictionaries({"all": st.lists(children, max_size=3)})
        | st.fixed_dictionaries({"any": children})
        | st.fixed_dictionaries({"not": children})
    ),
    max_leaves=10,
)
actions = st.lists(
    st.dictionaries(
        st.sampled_from(
            [
                "kind",
                "url",
                "method",
                "headers",
                "body",
                "file",
                "line",
                "to",
                "subject",
                "per",
                "max_frequency",
                "provider",
                "payload",
            ]
        ),
        json_values
        | st.sampled_from(
            [
                "call_web_page",
                "send_email",
                "log_to_file",
                "{{hits}}",
                "https://x.example/{{visitor_id}}",
                "../x",
            ]
        ),
        max_size=5,
    ),
    max_size=3,
)
rules = st.fixed_dictionaries(
    {
        "id": st.text(max_size=10) | st.just("r1"),
        "name": json_values,
        "event": st.sampled_from(["online_activity", "online_visitor_purged", "x"]),
    },
    optional={
        "owner": json_values | st.fixed_dictionaries({"role": st.sampled_from(["admin", "agent"])}),
        "timezone": st.text(max_size=20)
        | st.sampled_from(["UTC", "Europe/Berlin", "../etc", "/abs", "Europe"]),
        "when": conditions,
        "actions": actions | json_values,
        "enabled": json_values,
        "extra": json_values,
    },
)


def _compile(raw: Any) -> None:
    try:
        rule = compile_rule(raw)
    except RuleValidationError as exc:
        assert exc.issues
        for issue in exc.issues:
            line = str(issue)
            assert len(line.splitlines()) == 1  # control characters escaped
            if issue.rule_id.isprintable():
                assert line.startswith(f"{issue.rule_id}: ")
    else:
        assert rule.id == raw["id"]


@settings(max_examples=300, deadline=None)
@given(rules)
def test_rule_shaped_input_never_crashes(raw: dict[str, Any]) -> None:
    _compile(raw)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_never_crashes(raw: Any) -> None:
    try:
        compile_rules([raw])
    except RuleValidationError as exc:
        assert exc.issues


def test_huge_and_infinite_numbers_are_reported() -> None:
    cases = [
        ({"hits": {"gte": 10**400}}, "r1: when.hits.gte: integer out of range: an integer of"),
        ({"hits": {"gte": float("inf")}}, "r1: when.hits.gte: expected a finite number, got"),
        (
            {"session_start": {"within": 10**400}},
            "r1: when.session_start.within: integer out of range",
        ),
        (
            {"session_start": {"within": 1e308 * 10}},
            "r1: when.session_start.within: expected a finite duration",
        ),
        ({"session_start": {"gt": "9999-12-31T23:59:59-23:59"}}, None),
    ]
    for when, prefix in cases:
        raw = {
            "id": "r1",
            "name": "n",
            "event": "online_activity",
            "when": when,
            "actions": [{"kind": "remove_from_list"}],
        }
        try:
            compile_rule(raw)
        except RuleValidationError as exc:
            assert prefix is not None and str(exc.issues[0]).startswith(prefix)
        else:
            assert prefix is None
    raw = {
        "id": "r1",
        "name": "n",
        "event": "online_activity",
        "actions": [{"kind": "remove_from_list", "max_frequency": 10**400}],
    }
    try:
        compile_rule(raw)
    except RuleValidationError as exc:
        assert str(exc.issues[0]).startswith("r1: actions[0].max_frequency: integer out of range")
    else:
        raise AssertionError("accepted an overflowing max_frequency")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["r.yaml", "r.json"]))
def test_arbitrary_files_never_crash_the_loader(text: str, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        found, issues = read_definition_files([path])
        try:
            compile_rules(found)
        except RuleValidationError as exc:
            assert exc.issues
        assert all(str(issue) for issue in issues)
