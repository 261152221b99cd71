"""Which rules depend on the evaluation time, so ticks can skip the others.

Between two evaluations of a visitor whose state did not change, only conditions on
the clock can change their result: ``duration_minutes``, ``idle_minutes``,
``time_of_day``, ``day_of_week``, any ``window`` count, and datetime ``within`` /
``older_than``. A rule with none of them holds on a tick exactly when it held at the
previous evaluation, so it cannot have a rising edge and the tick need not evaluate it.
"""

from __future__ import annotations

from collections.abc import Mapping

from footfall.rules import CompiledRule, RuleSet
from footfall.rules.fields import FIELDS

__all__ = ["TickPlan", "time_dependent"]

_CLOCK_FIELDS = frozenset({"duration_minutes", "idle_minutes", "time_of_day", "day_of_week"})
_CLOCK_OPERATORS = frozenset({"window", "within", "older_than"})
_GROUPS = ("all", "any", "not")


def time_dependent(rule: CompiledRule) -> bool:
    """Whether the rule's ``when`` may change with the evaluation time alone.

    Anything not recognised counts as time-dependent (the safe answer).
    """
    flag = getattr(rule, "time_dependent", None)
    if isinstance(flag, bool):
        return flag
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


class TickPlan:
    """The ``online_activity`` rules a tick must evaluate, for one rule set.

    ``timed`` holds only the time-dependent ones; ``token`` identifies the rule set so
    that a visitor's last full evaluation is only trusted under the same rules.
    """

    __slots__ = ("rules", "timed", "token")

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        online = rules.rules_for("online_activity")
        self.timed = RuleSet(r for r in online if time_dependent(r))
        self.token = object()
