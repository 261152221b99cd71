"""What a rule is evaluated against: the evaluation time, the facts and windowed counts."""

from __future__ import annotations

from collections.abc import Mapping

from mypy_extensions import mypyc_attr

__all__ = ["EvalContext", "StaticContext"]


# a class, not a Protocol: the compiled build reads ``now`` and ``facts`` of a native class
# directly instead of looking them up by name on every leaf (tests subclass it too)
@mypyc_attr(allow_interpreted_subclasses=True)
class EvalContext:
    """One evaluation of rules for one visitor at one instant.

    ``now`` is the evaluation time in epoch seconds; ``facts`` maps field names of
    ``FACT_FIELDS`` to their values (a missing key means "no value"); ``window_count``
    answers how many events of a windowable count field happened in ``(now - seconds, now]``
    (subclasses say how: the engine's from the visitor's state, :class:`StaticContext`
    from a list of times).
    """

    __slots__ = ("facts", "now")

    def __init__(self, now: float, facts: dict[str, object]) -> None:
        self.now = now
        self.facts = facts

    def window_count(self, field: str, seconds: float) -> int:
        raise NotImplementedError(f"{type(self).__name__} counts no windows")


class StaticContext(EvalContext):
    """A plain in-memory :class:`EvalContext` (tests, benchmarks, tools).

    ``events`` maps a count field to the epoch times of its events; ``window_count``
    counts those in ``(now - seconds, now]``.
    """

    __slots__ = ("events",)

    def __init__(
        self,
        now: float,
        facts: dict[str, object],
        events: Mapping[str, list[float]] | None = None,
    ) -> None:
        super().__init__(now, facts)
        self.events: Mapping[str, list[float]] = events or {}

    def window_count(self, field: str, seconds: float) -> int:
        low = self.now - seconds
        return sum(1 for t in self.events.get(field, ()) if low < t <= self.now)
