"""How long the clock part of a rule keeps its result while a visitor's state does not change.

For a visitor whose state did not change since its last evaluation, the clock conditions
of its armed rules (see :mod:`.timing`) are functions of the evaluation time alone. This
module bounds, per clock conjunct, the earliest time its result may differ:

* ``duration_minutes`` / ``idle_minutes``: the value grows with the time from a fixed
  anchor (session start, last activity), so a comparison can only change where the value
  crosses one of its bounds: at ``anchor + 60 × bound``;
* a windowed count: it changes only when an event time enters the window (a time later
  than now) or leaves it (the oldest time inside, plus the window);
* ``time_of_day`` / ``day_of_week``: the same for every visitor; their results are
  compared as a whole (:meth:`NowLeaves.values`), not bounded here;
* a condition with no clock field: constant;
* anything else (datetime ``within`` / ``older_than``, anything not recognised): no bound,
  the conjunct is tested on every tick.

Bounds keep a margin of :data:`MARGIN` seconds on both sides of every crossing, so that
floating-point rounding in the conditions cannot make a result change earlier than the
bound says; a crossing that close to the evaluation time gives no bound at all.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import Any

from footfall.engine.state import VisitorState
from footfall.rules.fields import FIELDS, FieldType
from footfall.rules.values import parse_number, parse_positive_duration

__all__ = ["MARGIN", "Horizon", "horizon_of", "now_leaves"]

#: Seconds kept clear of a crossing on both sides.
MARGIN = 0.01
_INF = float("inf")
_GROUPS = ("all", "any", "not")
_CLOCK_FIELDS = frozenset({"duration_minutes", "idle_minutes", "time_of_day", "day_of_week"})
_NOW_FIELDS = frozenset({"time_of_day", "day_of_week"})
_CLOCK_OPERATORS = frozenset({"window", "within", "older_than"})
_NUMBER_OPS = frozenset({"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "exists"})

#: (state, now) -> the earliest time at or after ``now`` at which the result may differ
#: from its result at ``now`` (``now`` itself: test it every time).
Horizon = Callable[[VisitorState, float], float]


def _never(state: VisitorState, now: float) -> float:
    return _INF


def _always(state: VisitorState, now: float) -> float:
    return now


def _bounds(ops: Mapping[Any, Any]) -> list[float] | None:
    """The numbers a comparison of ``ops`` compares with; None when not understood."""
    out: list[float] = []
    try:
        for op, value in ops.items():
            if op not in _NUMBER_OPS:
                return None
            if op == "exists":
                continue
            values = value if isinstance(value, list | tuple) else [value]
            out.extend(parse_number(v) for v in values)
    except Exception:  # noqa: BLE001 - anything not understood gets no bound
        return None
    return out


def _crossing(times: list[float], now: float) -> float:
    """The earliest of ``times`` after ``now`` (``now`` when one is too close to it)."""
    best = _INF
    for t in times:
        if t > now + MARGIN:
            if t - MARGIN < best:
                best = t - MARGIN
        elif t > now - MARGIN:
            return now
    return best


def _minutes(field: str, ops: Mapping[Any, Any]) -> Horizon | None:
    bounds = _bounds(ops)
    if bounds is None:
        return None
    seconds = [60.0 * b for b in bounds if b >= 0]
    if not seconds:
        return _never
    duration = field == "duration_minutes"

    def horizon(state: VisitorState, now: float) -> float:
        start = state.started_at
        if start is None:
            return _INF  # no clocks without a session
        anchor = start if duration else state.last_activity
        return _crossing([anchor + s for s in seconds], now)

    return horizon


def _window(field: str, ops: Mapping[Any, Any]) -> Horizon | None:
    bounds = _bounds({k: v for k, v in ops.items() if k != "window"})
    if bounds is None:
        return None
    try:
        seconds = parse_positive_duration(ops["window"])
    except Exception:  # noqa: BLE001
        return None
    # the count of (now - seconds, now] shrinks by one as each time inside leaves the
    # window (oldest first) and grows as a time later than now enters it; a comparison
    # can only change between counts c and c - 1 when a bound lies in [c - 1, c]
    critical = sorted(
        {
            c
            for b in bounds
            for c in (math.floor(b), math.floor(b) + 1, math.ceil(b))
            if c - 1 <= b <= c
        },
        reverse=True,
    )

    def horizon(state: VisitorState, now: float) -> float:
        times = state.windows.get(field)
        if not times:
            return _INF
        candidates = []
        j = bisect_right(times, now)
        if j < len(times):
            candidates.append(times[j])  # a later time enters it
        i = bisect_right(times, now - seconds)
        if i > 0:
            candidates.append(times[i - 1] + seconds)  # just left: guards the margin
        count = j - i
        for c in critical:
            if 1 <= c <= count:
                # the time whose leaving takes the count from c to c - 1
                candidates.append(times[i + count - c] + seconds)
                break
        return _crossing(candidates, now)

    return horizon


def _leaf(field: str, ops: object) -> Horizon | None:
    spec = FIELDS.get(field)
    if spec is None or not isinstance(ops, Mapping):
        return None
    if field in _NOW_FIELDS:
        return _never  # compared as a whole, see NowLeaves
    if "window" in ops:
        return _window(field, ops) if spec.type is FieldType.COUNT else None
    if field in _CLOCK_FIELDS:
        return _minutes(field, ops)
    if any(op in _CLOCK_OPERATORS for op in ops):
        return None
    return _never


def horizon_of(condition: object) -> Horizon | None:
    """The bound of a condition (None: it must be tested every time)."""
    if isinstance(condition, list):
        parts = [horizon_of(c) for c in condition]
    elif isinstance(condition, Mapping) and condition:
        parts = []
        for key, value in condition.items():
            parts.append(horizon_of(value) if key in _GROUPS else _leaf(key, value))
    else:
        return None
    if any(p is None for p in parts):
        return None
    fns: list[Horizon] = [p for p in parts if p is not None and p is not _never]
    if not fns:
        return _never
    if len(fns) == 1:
        return fns[0]

    def combined(state: VisitorState, now: float) -> float:
        best = _INF
        for fn in fns:
            t = fn(state, now)
            if t <= now:
                return now
            if t < best:
                best = t
        return best

    return combined


def now_leaves(condition: object) -> list[Any]:
    """The ``time_of_day`` / ``day_of_week`` leaves of a condition, as conditions."""
    if isinstance(condition, list):
        return [leaf for c in condition for leaf in now_leaves(c)]
    if not isinstance(condition, Mapping):
        return []
    out: list[Any] = []
    for key, value in condition.items():
        if key in _GROUPS:
            out.extend(now_leaves(value))
        elif key in _NOW_FIELDS:
            out.append({key: value})
    return out
