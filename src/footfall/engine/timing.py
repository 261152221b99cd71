"""Evaluating ``online_activity`` cheaply on ticks, by separating what the clock changes.

Between two evaluations of a visitor whose state did not change, only conditions on the
clock can change their result: ``duration_minutes``, ``idle_minutes``, ``time_of_day``,
``day_of_week``, any ``window`` count, and datetime ``within`` / ``older_than``.

:class:`TickPlan` splits the enabled ``online_activity`` rules of a rule set once:

* ``steady``: rules with no clock condition at all;
* for the others, the top-level conjuncts of ``when`` without a clock condition
  (``static``, compiled as a rule of the same id) and the ones with (``clocked``).

A full evaluation matches ``steady`` and ``static`` (both indexed), then tests the clock
part of the rules whose static part holds (the visitor's *armed* rules). A tick for a
visitor whose state did not change since its last full evaluation reuses the held
steady rules and the armed set, and tests only the armed rules' clock parts. Both give
exactly what matching the whole rule set gives (``when`` = static AND clocked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from footfall.engine.facts import EngineContext
from footfall.engine.horizon import Horizon, horizon_of, now_leaves
from footfall.engine.state import VisitorState
from footfall.rules import CompiledRule, EvalContext, RuleSet, compile_rule
from footfall.rules.fields import FIELDS, FieldType

__all__ = ["CHAT_FACTS", "TickPlan", "time_dependent"]

#: The facts a chat event can change (besides starting a session or changing ``site``,
#: which count as any change).
CHAT_FACTS = frozenset(
    {
        "agent",
        "department",
        "group",
        "sent_message",
        "chat_status",
        "invites_sent",
        "invites_accepted",
        "invites_rejected",
        "invites_ignored",
        "invitation_last_sent",
        "first_chat_at",
        "last_chat_at",
    }
)

_ONLINE = "online_activity"
_NOBODY = VisitorState("")
_CLOCK_FIELDS = frozenset({"duration_minutes", "idle_minutes", "time_of_day", "day_of_week"})
_NOW_FIELDS = frozenset({"time_of_day", "day_of_week"})
_CLOCK_OPERATORS = frozenset({"window", "within", "older_than"})
_GROUPS = ("all", "any", "not")


def time_dependent(rule: CompiledRule) -> bool:
    """Whether the rule's ``when`` may change with the evaluation time alone.

    Anything not recognised counts as time-dependent (the safe answer).
    """
    return _timed(rule.data.get("when"))


def _timed(condition: object) -> bool:
    if condition is None:
        return False
    if isinstance(condition, list):
        return any(_timed(c) for c in condition)
    if not isinstance(condition, Mapping):
        return True
    for key, value in condition.items():
        if key in _GROUPS:
            if _timed(value):
                return True
        elif (
            key in _CLOCK_FIELDS
            or key not in FIELDS
            or not isinstance(value, Mapping)
            or any(op in _CLOCK_OPERATORS for op in value)
        ):
            return True
    return False


def _reads_chat(condition: object) -> bool:
    """Whether a condition may read a chat fact (anything unrecognised may)."""
    if condition is None:
        return False
    if isinstance(condition, list):
        return any(_reads_chat(c) for c in condition)
    if not isinstance(condition, Mapping):
        return True
    for key, value in condition.items():
        if key in _GROUPS:
            if _reads_chat(value):
                return True
        elif key in CHAT_FACTS or key not in FIELDS:
            return True
    return False


def _now_only(condition: object) -> bool:
    """Whether a condition reads nothing but the evaluation time (same for every visitor)."""
    if isinstance(condition, list):
        return bool(condition) and all(_now_only(c) for c in condition)
    if not isinstance(condition, Mapping) or not condition:
        return False
    for key, value in condition.items():
        if key in _GROUPS:
            if not _now_only(value):
                return False
        elif key not in _NOW_FIELDS:
            return False
    return True


#: How a clock condition can change while a visitor's state does not (only time passes).
RISES, FALLS, EITHER = 1, -1, 0


def _trend(condition: object) -> int:
    """RISES: once true it stays true; FALLS: once false it stays false; else EITHER.

    While nothing happens to a visitor, ``duration_minutes`` and ``idle_minutes`` only
    grow, windowed counts only shrink, and a datetime only gets older.
    """
    if not isinstance(condition, Mapping) or len(condition) != 1:
        return EITHER
    ((field, ops),) = condition.items()
    spec = FIELDS.get(field)
    if spec is None or not isinstance(ops, Mapping):
        return EITHER
    names = set(ops) - {"window"}
    if not names:
        return EITHER
    if "window" in ops or field in ("duration_minutes", "idle_minutes"):
        sign = -1 if "window" in ops else 1
        if names <= {"gt", "gte"}:
            return RISES * sign
        if names <= {"lt", "lte"}:
            return FALLS * sign
        return EITHER
    if spec.type is FieldType.DATETIME:
        if names == {"older_than"}:
            return RISES
        if names == {"within"}:
            return FALLS
    return EITHER


def _conjuncts(condition: object) -> list[Any]:
    """The top-level conditions that must all hold (nested ``all`` groups flattened)."""
    if isinstance(condition, list):
        return [c for item in condition for c in _conjuncts(item)]
    if isinstance(condition, Mapping) and len(condition) == 1 and "all" in condition:
        return _conjuncts(condition["all"])
    return [condition]


def _part(rule: CompiledRule, conditions: list[Any]) -> CompiledRule:
    data = {k: v for k, v in rule.data.items() if k != "when"}
    if conditions:
        data["when"] = {"all": conditions}
    return compile_rule(data)


def _single(rule: CompiledRule, condition: Any) -> CompiledRule:
    data = {k: v for k, v in rule.data.items() if k != "when"}
    data["when"] = condition
    return compile_rule(data)


@dataclass(frozen=True, slots=True)
class _Split:
    """One clock-dependent rule split: its static part (a rule of the same id), its clock
    conjuncts as (test, trend), cheapest first (the shared test is also the memo key), its
    time-only tests, how long its clock part keeps its result (None: no bound, see
    :mod:`.horizon`) and the tests of every time-only leaf of its clock part."""

    static: CompiledRule
    tests: tuple[tuple[Any, int], ...]
    now_tests: tuple[Any, ...]
    horizon: Horizon | None
    now_leaves: tuple[Any, ...]


def _split(rule: CompiledRule) -> _Split:
    parts = _conjuncts(rule.data.get("when"))
    entries = []
    now_tests = []
    for condition in parts:
        if not _timed(condition):
            continue
        node = _single(rule, condition).when
        if node is None:
            continue
        entries.append((node.cost, node.test, _trend(condition)))
        if _now_only(condition):
            now_tests.append(node.test)
    entries.sort(key=lambda entry: entry[0])
    clock = [c for c in parts if _timed(c)]
    leaves = []
    for leaf in now_leaves(clock):
        node = _single(rule, leaf).when
        if node is not None:
            leaves.append(node.test)
    return _Split(
        static=_part(rule, [c for c in parts if not _timed(c)]),
        tests=tuple((fn, trend) for _, fn, trend in entries),
        now_tests=tuple(now_tests),
        horizon=horizon_of(clock),
        now_leaves=tuple(leaves),
    )


class TickPlan:
    """The split ``online_activity`` rules of one rule set (see the module docstring).

    ``token`` identifies the plan, so that a visitor's cached evaluation is only reused
    under the same rules.
    """

    __slots__ = (
        "_now",
        "_now_by_minute",
        "_now_leaves",
        "_now_results",
        "_now_tests",
        "_now_values",
        "_now_values_at",
        "_splits",
        "_tests",
        "chatty",
        "chatty_ids",
        "clocked",
        "count",
        "first",
        "horizons",
        "rules",
        "steady",
        "token",
    )

    def __init__(self, rules: RuleSet, previous: TickPlan | None = None) -> None:
        """Split ``rules``; reuse the splits of ``previous`` for rules that did not change."""
        self.rules = rules
        #: how many enabled online_activity rules there are
        self.count = len(rules.rules_for(_ONLINE))
        steady: list[CompiledRule] = []
        static: list[CompiledRule] = []
        tests: dict[str, tuple[tuple[Any, int], ...]] = {}
        # conditions on the time alone; the tests are the shared (interned) objects the
        # clocked parts use, so results computed once per minute seed their memo
        now_tests: dict[int, Any] = {}
        leaves: dict[int, Any] = {}
        horizons: dict[str, Horizon | None] = {}
        known: dict[tuple[str, str], _Split] = previous._splits if previous is not None else {}
        splits: dict[tuple[str, str], _Split] = {}
        for rule in rules.rules_for(_ONLINE):
            if not time_dependent(rule):
                steady.append(rule)
                continue
            key = (rule.id, rule.version)
            split = known.get(key)
            if split is None:
                split = _split(rule)
            splits[key] = split
            static.append(split.static)
            tests[rule.id] = split.tests
            for test in split.now_tests:
                now_tests[id(test)] = test
            for test in split.now_leaves:
                leaves[id(test)] = test
            horizons[rule.id] = split.horizon
        self._splits: dict[tuple[str, str], _Split] = splits
        self.steady = RuleSet(steady)
        self.clocked = frozenset(tests)
        self._tests = tests
        # the steady rules and the static parts, matched in one indexed call
        self.first = RuleSet([*steady, *static])
        # those of them that read chat facts: all a chat event can change
        self.chatty = RuleSet(
            r for r in self.first.rules.values() if _reads_chat(r.data.get("when"))
        )
        self.chatty_ids = frozenset(self.chatty.rules)
        self._now_tests = tuple(now_tests.values())
        #: per clocked rule, how long its clock part keeps its result (see .horizon)
        self.horizons = horizons
        self._now_leaves = tuple(leaves.values())
        self._now_values: tuple[bool, ...] = ()
        self._now_values_at: float | None = None
        self._now_by_minute: dict[float, tuple[bool, ...]] = {}
        self._now: float | None = None
        self._now_results: dict[Any, bool] = {}
        self.token = object()

    def evaluate(
        self, ctx: EvalContext, settled: dict[str, bool] | None = None
    ) -> tuple[list[str], tuple[str, ...], list[str]]:
        """A full evaluation: (held steady ids, armed ids, held clocked ids), each sorted.

        ``settled``: as in :meth:`recheck` (a fresh dict for the new state)."""
        clocked = self.clocked
        steady: list[str] = []
        armed: list[str] = []
        for rule in self.first.matching(_ONLINE, ctx):
            (armed if rule.id in clocked else steady).append(rule.id)
        frozen = tuple(armed)
        return steady, frozen, self.recheck(frozen, ctx, settled)

    def refresh(
        self, steady: list[str], armed: tuple[str, ...], ctx: EvalContext
    ) -> tuple[list[str], tuple[str, ...]]:
        """Steady and armed ids after a change of chat facts only: the rules that read
        chat facts are matched again, the others keep their results."""
        chatty = self.chatty_ids
        if not chatty:
            return steady, armed
        clocked = self.clocked
        new_steady = [i for i in steady if i not in chatty]
        new_armed = [i for i in armed if i not in chatty]
        for rule in self.chatty.matching(_ONLINE, ctx):
            (new_armed if rule.id in clocked else new_steady).append(rule.id)
        new_steady.sort()
        new_armed.sort()
        return new_steady, tuple(new_armed)

    def recheck(
        self,
        armed: tuple[str, ...],
        ctx: EvalContext,
        settled: dict[str, bool] | None = None,
    ) -> list[str]:
        """The armed rules whose clock part holds now (conditions shared between the
        rules are evaluated once).

        ``settled`` (kept by the caller while the visitor's state does not change, for
        increasing times) records the rules whose result can no longer change: a clock
        part that held with only RISES conjuncts, or failed on a FALLS conjunct. They are
        not evaluated again.
        """
        if not armed:
            return []
        tests = self._tests
        # time of day and day of week are constant within a UTC minute (time zone offsets
        # are whole minutes; the rules' clock makes the same assumption)
        minute = ctx.now // 60
        if self._now != minute:
            self._now_results = {test: bool(test(ctx, {})) for test in self._now_tests}
            self._now = minute
        memo = dict(self._now_results)
        remembered = memo.get
        held = []
        for rule_id in armed:
            if settled is not None:
                known = settled.get(rule_id)
                if known is not None:
                    if known:
                        held.append(rule_id)
                    continue
            rising = True
            for test, trend in tests[rule_id]:
                # each distinct condition once per call (memo keyed by the shared test)
                result = remembered(test)
                if result is None:
                    result = memo[test] = test(ctx, memo)
                if not result:
                    if settled is not None and trend == FALLS:
                        settled[rule_id] = False
                    break
                if trend != RISES:
                    rising = False
            else:
                held.append(rule_id)
                if settled is not None and rising:
                    settled[rule_id] = True
        return held

    def now_values(self, now: float) -> tuple[bool, ...]:
        """The results of every time-only leaf of the clock parts at ``now`` (the same
        for every visitor; constant within a UTC minute)."""
        minute = now // 60
        if self._now_values_at == minute:
            return self._now_values
        values = self._now_by_minute.get(minute)
        if values is None:
            if len(self._now_by_minute) >= 64:
                self._now_by_minute.clear()
            ctx = EngineContext(_NOBODY, now, {})  # time-only leaves read no state
            values = tuple(bool(test(ctx, {})) for test in self._now_leaves)
            self._now_by_minute[minute] = values
        self._now_values = values
        self._now_values_at = minute
        return values

    def quiet_until(
        self, state: VisitorState, armed: tuple[str, ...], settled: dict[str, bool], now: float
    ) -> float:
        """Until when (excluded) the armed rules' clock parts keep their results at ``now``
        while the state does not change, the time-only leaves aside (``now``: no bound)."""
        horizons = self.horizons
        best = float("inf")
        for rule_id in armed:
            if rule_id in settled:
                continue
            horizon = horizons.get(rule_id)
            if horizon is None:
                return now
            until = horizon(state, now)
            if until <= now:
                return now
            if until < best:
                best = until
        return best
