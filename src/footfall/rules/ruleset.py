"""A set of compiled rules, indexed so that matching an event does not walk every rule.

For each rule event, every single-operator string leaf of a rule's top-level ``all``
(``eq``/``in``, ``starts_with``, ``ends_with``, ``contains``: the leaves whose result
depends on one fact's case-folded value alone) is an *index leaf*. Per fact field, the
index keeps which rules each value lets through as a bit mask over the rules (bit i: the
rule at position i in id order): the rules with no index leaf on that field, plus those
whose index leaves on it all hold for the value. Masks are memoised per value (pages,
countries and sites repeat); a missing value lets through only the rules with no index
leaf on the field. The candidates of an evaluation are the AND of one mask per indexed
field; their remaining conditions then run cheapest first, every distinct condition
evaluated at most once per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from footfall.rules.compiler import CompiledRule
from footfall.rules.context import EvalContext
from footfall.rules.operators import IndexHint, Test

__all__ = ["RuleSet"]

#: Bound of the memo of candidate positions per candidate mask, per rule event.
_CANDIDATE_MEMO = 16384
_VALUE_MEMO = 4096  # distinct values remembered per indexed field


class _FieldIndex:
    """The index leaves of one fact field, and which rules a value of it lets through."""

    __slots__ = ("cache", "free", "leaves", "name", "needed")

    def __init__(self, name: str, leaves: list[tuple[IndexHint, int]], free: int) -> None:
        self.name = name
        #: (hint, rule position) for every index leaf on this field
        self.leaves = tuple(leaves)
        #: how many index leaves on this field each rule has (all must hold)
        needed: dict[int, int] = defaultdict(int)
        for _, pos in leaves:
            needed[pos] += 1
        self.needed = dict(needed)
        #: the mask of the rules without an index leaf on this field
        self.free = free
        self.cache: dict[object, int] = {None: free}

    def mask(self, value: object) -> int:
        """The rules ``value`` lets through (memoised per value, bounded)."""
        text = (value if isinstance(value, str) else str(value)).casefold()
        held: dict[int, int] = defaultdict(int)
        for hint, pos in self.leaves:
            kind = hint.kind
            if kind == "eq":
                ok = text in hint.needles
            elif kind == "prefix":
                ok = text.startswith(hint.needles[0])
            elif kind == "suffix":
                ok = text.endswith(hint.needles[0])
            else:
                ok = hint.needles[0] in text
            if ok:
                held[pos] += 1
        mask = self.free
        needed = self.needed
        for pos, count in held.items():
            if count == needed[pos]:
                mask |= 1 << pos
        if len(self.cache) >= _VALUE_MEMO:
            self.cache.clear()
            self.cache[None] = self.free
        self.cache[value] = mask
        return mask


#: the positions of the set bits of each byte value, ascending
_BYTE_BITS: tuple[tuple[int, ...], ...] = tuple(
    tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256)
)


def _positions(mask: int) -> tuple[int, ...]:
    """The positions of the set bits of ``mask``, ascending (a byte at a time: bit
    operations on a mask of a thousand rules each make a new thousand-bit integer)."""
    out: list[int] = []
    base = 0
    for byte in mask.to_bytes((mask.bit_length() + 7) // 8, "little"):
        if byte:
            for bit in _BYTE_BITS[byte]:
                out.append(base + bit)
        base += 8
    return tuple(out)


class _EventIndex:
    """The enabled rules of one rule event, their remaining checks and their index."""

    __slots__ = ("_memo", "checks", "everything", "indexes", "rules")

    def __init__(self, rules: list[CompiledRule]) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(sorted(rules, key=lambda r: r.id))
        checks: list[tuple[Test, ...]] = []
        by_field: dict[str, list[tuple[IndexHint, int]]] = defaultdict(list)
        for pos, rule in enumerate(self.rules):
            conjuncts = sorted(rule.conjuncts, key=lambda n: n.cost)
            for node in conjuncts:
                if node.index is not None:
                    by_field[node.index.field].append((node.index, pos))
            checks.append(tuple(n.test for n in conjuncts if n.index is None))
        self.checks = tuple(checks)
        self.everything = (1 << len(self.rules)) - 1
        indexes = []
        for name, leaves in by_field.items():
            indexed = 0
            for _, pos in leaves:
                indexed |= 1 << pos
            indexes.append(_FieldIndex(name, leaves, self.everything & ~indexed))
        # the fields most rules are indexed on first: their masks cut the most
        indexes.sort(key=lambda index: (-len(index.needed), index.name))
        self.indexes = tuple(indexes)
        # candidate positions per mask (visitors share pages, countries, browsers), bounded
        self._memo: dict[int, tuple[int, ...]] = {}

    def candidates(self, facts: dict[str, object]) -> tuple[int, ...]:
        """The positions (ascending) of the rules whose index leaves all hold."""
        mask = self.everything
        for index in self.indexes:
            value = facts.get(index.name)
            selected = index.cache.get(value)
            if selected is None:
                selected = index.mask(value)
            mask &= selected
            if not mask:
                return ()
        found = self._memo.get(mask)
        if found is None:
            if len(self._memo) >= _CANDIDATE_MEMO:
                self._memo.clear()
            found = self._memo[mask] = _positions(mask)
        return found


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
        memo: dict[Any, bool] = {}
        rules = index.rules
        checks = index.checks
        out = []
        for pos in found:
            for test in checks[pos]:
                # Each distinct condition is computed once per call (memo keyed by the test).
                result = memo.get(test)
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
