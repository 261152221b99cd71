"""Every YAML example in docs/rules.md is a valid rule, list of rules, or rule fragment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from footfall.rules import ACTION_KINDS, RULE_EVENTS, compile_rule, compile_rules

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
BASE = {
    "id": "x",
    "name": "x",
    "event": "online_activity",
    "actions": [{"kind": "remove_from_list"}],
}


def test_the_reference_has_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("block", BLOCKS)
def test_example_compiles(block: str) -> None:
    data = yaml.safe_load(block)
    if isinstance(data, list):
        assert len(compile_rules(data)) == len(data)
    elif "id" in data:
        compile_rule(data)
    else:
        compile_rule({**BASE, **data})


def test_examples_cover_every_event_and_action_kind() -> None:
    events: set[str] = set()
    kinds: set[str] = set()
    for block in BLOCKS:
        data = yaml.safe_load(block)
        for item in data if isinstance(data, list) else [data]:
            events.add(item.get("event", ""))
            kinds.update(a["kind"] for a in item.get("actions", []))
    assert events >= RULE_EVENTS
    assert kinds == ACTION_KINDS
