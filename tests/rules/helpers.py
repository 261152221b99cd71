"""Builders shared by the rule language tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from footfall.rules import CompiledRule, RuleValidationError, StaticContext, compile_rule

#: Monday 2 March 2026, 10:30:00 UTC.
NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC).timestamp()


def raw_rule(**overrides: Any) -> dict[str, Any]:
    """A valid rule; keyword arguments replace its keys (None removes a key)."""
    data: dict[str, Any] = {
        "id": "r1",
        "name": "Rule one",
        "event": "online_activity",
        "actions": [{"kind": "remove_from_list"}],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def rule_with(when: Any, **overrides: Any) -> CompiledRule:
    return compile_rule(raw_rule(when=when, **overrides))


def ctx(
    facts: Mapping[str, object] | None = None,
    now: float = NOW,
    events: Mapping[str, list[float]] | None = None,
) -> StaticContext:
    return StaticContext(now, dict(facts or {}), dict(events or {}))


def holds(when: Any, facts: Mapping[str, object] | None = None, **kw: Any) -> bool:
    timezone = kw.pop("timezone", None)
    rule = rule_with(when, timezone=timezone) if timezone else rule_with(when)
    return rule.holds(ctx(facts, **kw))


def problems(raw: Any) -> list[str]:
    """Every problem message of compiling ``raw`` (empty when it is valid)."""
    try:
        compile_rule(raw)
    except RuleValidationError as exc:
        return [str(i) for i in exc.issues]
    return []
