"""``max_frequency`` throttling (SPEC §5): per visitor in the visitor state, per rule shared.

A throttle mark is ``[until, suppressed]``: the action executed last inside a window
ending at ``until`` (epoch seconds) and ``suppressed`` firings were dropped since.
The next firing at or after ``until`` executes and carries ``suppressed_since_last``.

Per-visitor marks live in :class:`~footfall.engine.state.VisitorState` (they move with
the visitor's partition). Per-rule marks must hold across partitions, so they are a
separate pure piece: :func:`admit` works on one mark (a processor keeps marks in a
table keyed by :attr:`Candidate.throttle_key`), :class:`RuleThrottle` on a dict of them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from footfall.engine.commands import Candidate, Command

__all__ = ["RuleThrottle", "admit", "pass_mark", "prune_marks"]


def pass_mark(
    marks: dict[str, list[float]], key: str, now: float, max_frequency: float
) -> int | None:
    """Check and stamp one throttle mark in ``marks``.

    Return the number suppressed since the last execution when the firing executes
    (and start a new window), or ``None`` when it is suppressed (and count it).
    """
    mark = marks.get(key)
    if mark is not None and now < mark[0]:
        mark[1] += 1
        return None
    if mark is None:
        marks[sys.intern(key)] = [now + max_frequency, 0]  # keys repeat across visitors
        return 0
    suppressed = int(mark[1])
    mark[0] = now + max_frequency
    mark[1] = 0
    return suppressed


def prune_marks(marks: dict[str, list[float]], now: float) -> None:
    """Drop marks whose window has passed with nothing suppressed (as good as absent)."""
    stale = [key for key, (until, suppressed) in marks.items() if until <= now and not suppressed]
    for key in stale:
        del marks[key]


def admit(
    mark: list[float] | None, candidate: Candidate
) -> tuple[list[float] | None, Command | None]:
    """Apply the per-rule throttle to one candidate given the rule action's current mark.

    Return the new mark and the command, or ``None`` when the firing is suppressed.
    Candidates that need no rule throttle pass unchanged and leave the mark alone.
    """
    if not candidate.needs_rule_throttle:
        return mark, candidate.command
    marks: dict[str, list[float]] = {} if mark is None else {"m": list(mark)}
    suppressed = pass_mark(marks, "m", candidate.now, candidate.max_frequency)
    command = None if suppressed is None else candidate.admitted(suppressed)
    return marks["m"], command


class RuleThrottle:
    """Per-rule throttle marks for all rules, keyed by ``<rule id>#<action index>``."""

    __slots__ = ("marks",)

    def __init__(self, marks: Mapping[str, list[float]] | None = None) -> None:
        self.marks: dict[str, list[float]] = {k: list(v) for k, v in (marks or {}).items()}

    def admit(self, candidate: Candidate, now: float | None = None) -> Command | None:
        """The command for ``candidate``, or ``None`` when the rule's window suppresses it.

        ``now`` defaults to the candidate's evaluation time.
        """
        if not (candidate.max_frequency > 0 and candidate.per == "rule"):  # needs_rule_throttle
            return candidate.command
        at = candidate.now if now is None else now
        suppressed = pass_mark(self.marks, candidate.throttle_key, at, candidate.max_frequency)
        return None if suppressed is None else candidate.admitted(suppressed)

    def forget(self, rule_id: str) -> None:
        """Drop the marks of a deleted rule."""
        prefix = f"{rule_id}#"
        for key in [k for k in self.marks if k.startswith(prefix)]:
            del self.marks[key]

    def to_dict(self) -> dict[str, Any]:
        return {"marks": self.marks}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleThrottle:
        return cls(data.get("marks"))
