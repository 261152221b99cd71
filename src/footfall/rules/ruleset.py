"""A set of compiled rules, indexed so that matching an event does not walk every rule.

For each rule event the enabled rules are indexed by up to two selective conditions of
their top-level ``all`` (single-operator string leaves, most selective first), as a
small tree: ``eq``/``in`` leaves by value (one hash lookup on the case-folded fact),
``starts_with``/``ends_with`` leaves by needle length (one slice and lookup per distinct
length), ``contains`` leaves by needle (each distinct needle tested once); what a
field's value selects is memoised per value. A rule is a candidate only when its index
leaves hold; its remaining conditions then run cheapest
first, every distinct condition evaluated at most once per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from footfall.rules.compiler import CompiledRule
from footfall.rules.conditions import Node
from footfall.rules.context import EvalContext
from footfall.rules.operators import IndexHint, Test

__all__ = ["RuleSet"]

_MAX_INDEX_DEPTH = 2
#: Bound of the memo of candidates per combination of indexed facts, per rule event.
_CANDIDATE_MEMO = 16384
_PROBE_MEMO = 4096  # distinct values remembered per indexed field and node
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


_Entry = tuple[int, tuple[Node, ...]]  # rule position, its index leaves not yet used


class _IndexNode:
    """Rules selected by the index leaves on the path to this node.

    ``here`` holds the rules with no further index leaf; ``probes`` (one per field) lead
    to child nodes for the rules' next index leaf (most selective first), so a rule is a
    candidate only when every index leaf on its path holds.
    """

    __slots__ = ("here", "probes")

    def __init__(self, entries: list[_Entry]) -> None:
        here: list[int] = []
        by_field: dict[str, list[tuple[IndexHint, _Entry]]] = defaultdict(list)
        for pos, leaves in entries:
            if not leaves:
                here.append(pos)
                continue
            hint = leaves[0].index
            assert hint is not None
            by_field[hint.field].append((hint, (pos, leaves[1:])))
        self.here = tuple(here)
        self.probes = tuple(_FieldProbe(name, items) for name, items in sorted(by_field.items()))

    def collect(self, folded: dict[str, str], found: list[int]) -> None:
        """Append the positions of the rules below this node whose index leaves hold."""
        for probe in self.probes:
            text = folded.get(probe.name)
            if text is not None:
                hit = probe.cache.get(text)
                if hit is None:
                    hit = probe.select(text)
                positions, deeper = hit
                if positions:
                    found.extend(positions)
                for node in deeper:
                    node.collect(folded, found)


class _FieldProbe:
    """The index leaves of one node on one field, and which children a value selects.

    The selection depends only on the case-folded value, so it is memoised per value
    (page paths, countries and sites repeat): one dict lookup instead of testing every
    needle. The memo is bounded.
    """

    __slots__ = ("cache", "contains", "eq", "name", "prefix", "suffix")

    def __init__(self, name: str, items: list[tuple[IndexHint, _Entry]]) -> None:
        eq: dict[str, list[_Entry]] = defaultdict(list)
        prefix: dict[int, dict[str, list[_Entry]]] = defaultdict(lambda: defaultdict(list))
        suffix: dict[int, dict[str, list[_Entry]]] = defaultdict(lambda: defaultdict(list))
        contains: dict[str, list[_Entry]] = defaultdict(list)
        for hint, entry in items:
            needle = hint.needles[0]
            if hint.kind == "eq":
                for value in hint.needles:
                    eq[value].append(entry)
            elif hint.kind == "prefix":
                prefix[len(needle)][needle].append(entry)
            elif hint.kind == "suffix":
                suffix[len(needle)][needle].append(entry)
            else:
                contains[needle].append(entry)
        self.name = name
        self.eq = {k: _IndexNode(v) for k, v in eq.items()}
        self.prefix = tuple(
            (n, {k: _IndexNode(v) for k, v in t.items()}) for n, t in sorted(prefix.items())
        )
        self.suffix = tuple(
            (n, {k: _IndexNode(v) for k, v in t.items()}) for n, t in sorted(suffix.items())
        )
        self.contains = tuple((k, _IndexNode(v)) for k, v in contains.items())
        self.cache: dict[str, tuple[tuple[int, ...], tuple[_IndexNode, ...]]] = {}

    def select(self, text: str) -> tuple[tuple[int, ...], tuple[_IndexNode, ...]]:
        """(positions of rules selected here, child nodes to descend into) for ``text``."""
        nodes: list[_IndexNode] = []
        node = self.eq.get(text)
        if node is not None:
            nodes.append(node)
        for n, table in self.prefix:
            node = table.get(text[:n])
            if node is not None:
                nodes.append(node)
        for n, table in self.suffix:
            node = table.get(text[-n:])
            if node is not None:
                nodes.append(node)
        for needle, node in self.contains:
            if needle in text:
                nodes.append(node)
        hit = (
            tuple(pos for node in nodes for pos in node.here),
            tuple(node for node in nodes if node.probes),
        )
        if len(self.cache) >= _PROBE_MEMO:
            self.cache.clear()
        self.cache[text] = hit
        return hit


class _EventIndex:
    """The enabled rules of one rule event, their remaining checks and their index."""

    __slots__ = ("_memo", "checks", "fields", "root", "rules")

    def __init__(self, rules: list[CompiledRule]) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(sorted(rules, key=lambda r: r.id))
        checks: list[tuple[Test, ...]] = []
        entries: list[_Entry] = []
        for pos, rule in enumerate(self.rules):
            conjuncts = sorted(rule.conjuncts, key=lambda n: n.cost)
            leaves = tuple(sorted((n for n in conjuncts if n.index is not None), key=_rank))
            leaves = leaves[:_MAX_INDEX_DEPTH]
            used = {id(n) for n in leaves}
            checks.append(tuple(n.test for n in conjuncts if id(n) not in used))
            entries.append((pos, leaves))
        self.checks = tuple(checks)
        self.root = _IndexNode(entries)
        self.fields = tuple(
            sorted({n.index.field for _, leaves in entries for n in leaves if n.index})
        )
        # the candidates depend only on the indexed facts: memoised per their values
        # (visitors share pages, countries, browsers), bounded
        self._memo: dict[tuple[object, ...], tuple[int, ...]] = {}

    def candidates(self, facts: Mapping[str, object]) -> list[int]:
        key = tuple(map(facts.get, self.fields))
        hit = self._memo.get(key)
        if hit is not None:
            return list(hit)
        folded: dict[str, str] = {}
        for name, v in zip(self.fields, key, strict=True):
            if v is not None:
                folded[name] = v.casefold() if v.__class__ is str else str(v).casefold()
        found = list(self.root.here)
        self.root.collect(folded, found)
        if len(self._memo) >= _CANDIDATE_MEMO:
            self._memo.clear()
        self._memo[key] = tuple(found)
        return found


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
