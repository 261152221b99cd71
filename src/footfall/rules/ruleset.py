"""A set of compiled rules, indexed so that matching an event does not walk every rule.

For each rule event the enabled rules are indexed by one selective condition of their
top-level ``all`` (a single-operator string leaf): ``eq``/``in`` leaves by value (one
hash lookup on the fact), ``starts_with``/``ends_with`` leaves by needle length (one slice
and lookup per distinct length), ``contains`` leaves by needle (each distinct needle tested
once). Only the rules an event's facts select are then checked, their remaining
conditions cheapest first, every distinct condition evaluated at most once per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from footfall.rules.compiler import CompiledRule
from footfall.rules.conditions import Node
from footfall.rules.context import EvalContext
from footfall.rules.operators import Test

__all__ = ["RuleSet"]

_PRIORITY = {"eq": 0, "prefix": 1, "suffix": 1, "contains": 2}
# Rough share of visitors one value of a field matches; fields not listed have many values.
_SPREAD = {
    "site": 0.3,
    "browser": 0.25,
    "os": 0.2,
    "chat_status": 0.5,
    "language": 0.1,
    "country": 0.05,
    "region": 0.05,
    "department": 0.2,
    "group": 0.2,
    "agent": 0.05,
}


def _text(value: object) -> str:
    return value.casefold() if value.__class__ is str else str(value).casefold()


class _EventIndex:
    """The enabled rules of one rule event and their index."""

    __slots__ = ("always", "checks", "contains", "eq", "prefix", "rules", "suffix")

    def __init__(self, rules: list[CompiledRule]) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(sorted(rules, key=lambda r: r.id))
        checks: list[tuple[Test, ...]] = []
        always: list[int] = []
        eq: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        prefix: dict[str, dict[int, dict[str, list[int]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        suffix: dict[str, dict[int, dict[str, list[int]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        contains: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for pos, rule in enumerate(self.rules):
            conjuncts = sorted(rule.conjuncts, key=lambda n: n.cost)
            chosen = _choose_index(conjuncts)
            checks.append(tuple(n.test for n in conjuncts if n is not chosen))
            if chosen is None or chosen.index is None:
                always.append(pos)
                continue
            hint = chosen.index
            if hint.kind == "eq":
                for needle in hint.needles:
                    eq[hint.field][needle].append(pos)
            elif hint.kind == "prefix":
                prefix[hint.field][len(hint.needles[0])][hint.needles[0]].append(pos)
            elif hint.kind == "suffix":
                suffix[hint.field][len(hint.needles[0])][hint.needles[0]].append(pos)
            else:
                contains[hint.field][hint.needles[0]].append(pos)
        self.checks = tuple(checks)
        self.always = tuple(always)
        self.eq = tuple((f, {k: tuple(v) for k, v in t.items()}) for f, t in eq.items())
        self.prefix = tuple(
            (f, tuple((n, {k: tuple(v) for k, v in t.items()}) for n, t in sorted(g.items())))
            for f, g in prefix.items()
        )
        self.suffix = tuple(
            (f, tuple((n, {k: tuple(v) for k, v in t.items()}) for n, t in sorted(g.items())))
            for f, g in suffix.items()
        )
        self.contains = tuple(
            (f, tuple((k, tuple(v)) for k, v in t.items())) for f, t in contains.items()
        )

    def candidates(self, facts: Mapping[str, object]) -> list[int]:
        found = list(self.always)
        for name, table in self.eq:
            v = facts.get(name)
            if v is not None:
                hit = table.get(_text(v))
                if hit:
                    found.extend(hit)
        for name, groups in self.prefix:
            v = facts.get(name)
            if v is not None:
                text = _text(v)
                for n, table in groups:
                    hit = table.get(text[:n])
                    if hit:
                        found.extend(hit)
        for name, groups in self.suffix:
            v = facts.get(name)
            if v is not None:
                text = _text(v)
                for n, table in groups:
                    hit = table.get(text[-n:])
                    if hit:
                        found.extend(hit)
        for name, needles in self.contains:
            v = facts.get(name)
            if v is not None:
                text = _text(v)
                for needle, hit in needles:
                    if needle in text:
                        found.extend(hit)
        return found


def _choose_index(conjuncts: list[Node]) -> Node | None:
    best: Node | None = None
    for node in conjuncts:
        if node.index is not None and (best is None or _rank(node) < _rank(best)):
            best = node
    return best


def _rank(node: Node) -> tuple[float, int]:
    """Estimated share of evaluations the leaf lets through (lower is more selective)."""
    hint = node.index
    assert hint is not None
    if hint.kind == "eq":
        share = min(1.0, len(hint.needles) * _SPREAD.get(hint.field, 0.02))
    else:
        share = 0.15 if hint.kind == "contains" else 0.1
    return (share, _PRIORITY[hint.kind])


class RuleSet:
    """Compiled rules by id, with a per-event index for :meth:`matching`.

    Immutable: :meth:`with_rule` and :meth:`without` return new sets (the rules are
    shared; only the indexes are rebuilt).
    """

    __slots__ = ("_by_event", "_rules", "max_windows")

    def __init__(self, rules: Iterable[CompiledRule] = ()) -> None:
        by_id: dict[str, CompiledRule] = {}
        for rule in rules:
            if rule.id in by_id:
                raise ValueError(f"duplicate rule id {rule.id!r}")
            by_id[rule.id] = rule
        self._rules: Mapping[str, CompiledRule] = MappingProxyType(dict(sorted(by_id.items())))
        grouped: dict[str, list[CompiledRule]] = defaultdict(list)
        windows: dict[str, float] = {}
        for rule in self._rules.values():
            for name, seconds in rule.windows:
                windows[name] = max(seconds, windows.get(name, 0.0))
            if rule.enabled:
                grouped[rule.event].append(rule)
        self._by_event = {event: _EventIndex(group) for event, group in grouped.items()}
        self.max_windows: Mapping[str, float] = MappingProxyType(windows)

    @property
    def rules(self) -> Mapping[str, CompiledRule]:
        """Every rule (enabled or not) by id."""
        return self._rules

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"RuleSet({len(self._rules)} rules)"

    def rules_for(self, event: str) -> tuple[CompiledRule, ...]:
        """The enabled rules of a rule event, sorted by id."""
        index = self._by_event.get(event)
        return index.rules if index is not None else ()

    def matching(self, event: str, ctx: EvalContext) -> list[CompiledRule]:
        """The enabled rules of ``event`` whose ``when`` holds for ``ctx``, sorted by id."""
        index = self._by_event.get(event)
        if index is None:
            return []
        found = index.candidates(ctx.facts)
        if not found:
            return []
        found.sort()
        memo: dict[Any, bool] = {}
        remembered = memo.get
        rules = index.rules
        checks = index.checks
        out = []
        for pos in found:
            for test in checks[pos]:
                # Each distinct condition is computed once per call (memo keyed by the test).
                result = remembered(test)
                if result is None:
                    result = memo[test] = test(ctx, memo)
                if not result:
                    break
            else:
                out.append(rules[pos])
        return out

    def with_rule(self, rule: CompiledRule) -> RuleSet:
        """A new set with ``rule`` added or replacing the rule of the same id."""
        rules = dict(self._rules)
        rules[rule.id] = rule
        return RuleSet(rules.values())

    def without(self, rule_id: str) -> RuleSet:
        """A new set without the rule ``rule_id`` (the same set if it is absent)."""
        if rule_id not in self._rules:
            return self
        return RuleSet(r for r in self._rules.values() if r.id != rule_id)
