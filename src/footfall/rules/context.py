"""What a rule is evaluated against: the evaluation time, the facts and windowed counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

__all__ = ["EvalContext", "StaticContext"]


class EvalContext(Protocol):
    """One evaluation of rules for one visitor at one instant.

    ``now`` is the evaluation time in epoch seconds; ``facts`` maps field names of
    ``FACT_FIELDS`` to their values (a missing key means "no value"); ``window_count``
    answers how many events of a windowable count field happened in ``(now - seconds, now]``.
    """

    @property
    def now(self) -> float: ...

    @property
    def facts(self) -> Mapping[str, object]: ...

    def window_count(self, field: str, seconds: float) -> int: ...


class StaticContext:
    """A plain in-memory :class:`EvalContext` (tests, benchmarks, tools).

    ``events`` maps a count field to the epoch times of its events; ``window_count``
    counts those in ``(now - seconds, now]``.
    """

    __slots__ = ("events", "facts", "now")

    def __init__(
        self,
        now: float,
        facts: Mapping[str, object],
        events: Mapping[str, list[float]] | None = None,
    ) -> None:
        self.now = now
        self.facts = facts
        self.events: Mapping[str, list[float]] = events or {}

    def window_count(self, field: str, seconds: float) -> int:
        low = self.now - seconds
        return sum(1 for t in self.events.get(field, ()) if low < t <= self.now)
