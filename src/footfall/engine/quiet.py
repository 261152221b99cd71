"""Quiet spans: the ticks that would leave a visitor exactly as it is, firing nothing.

While nothing happens to a visitor, a tick changes nothing for it until one of these
comes: its idle end, an unanswered invitation's timeout, or the first time a clock
condition of its armed ``online_activity`` rules may change its result (the bounds of
:mod:`.horizon`, computed once per evaluation), with the rules' time-only conditions
(``time_of_day``, ``day_of_week``) giving the results they gave at the evaluation. The
engine returns early from such ticks (:func:`still_quiet`); a processor keeps the span
beside each online visitor (:func:`quiet_span`) and passes over the visitors a tick
falls inside of (:func:`span_holds`) without reading or decoding their state.
"""

from __future__ import annotations

from footfall.engine.horizon import MARGIN
from footfall.engine.state import VisitorState
from footfall.engine.timing import TickPlan

__all__ = ["QuietSpan", "quiet_span", "span_holds", "still_quiet"]

_INF = float("inf")

#: (the rule plan's token, the evaluation time, the first time something may be due, the
#: time-only results at the evaluation): a tuple of atoms, so the garbage collector
#: stops tracking it.
QuietSpan = tuple[object, float, float, tuple[bool, ...]]


def quiet_span(
    state: VisitorState, plan: TickPlan, idle_timeout: float, invitation_timeout: float
) -> QuietSpan | None:
    """The visitor's quiet span; ``None`` when the next tick must visit it (a state not
    evaluated by the engine under ``plan``, or changed by a chat event since)."""
    until = _INF
    if invitation_timeout > 0:
        for sent_at, _ in state.pending.values():
            due = sent_at + invitation_timeout  # as the engine's expiry compares
            if due < until:
                until = due
    since = -_INF
    now: tuple[bool, ...] = ()
    if state.online:
        # the idle end, kept clear of rounding (a - b >= c is not always a >= b + c)
        until = min(until, state.last_activity + idle_timeout - MARGIN)
        if plan.count:
            if not (
                state._evaluated is plan.token
                and not state._chat_changed
                and state._settled is not None
            ):
                return None
            _bound(state, plan)
            since = state._settled_at
            until = min(until, state._quiet_until)
            now = state._quiet_now or ()
    return (plan.token, since, until, now)


def span_holds(plan: TickPlan, span: QuietSpan | None, tick_time: float) -> bool:
    """Whether a tick at ``tick_time`` falls inside ``span``: under the same rules, not
    before the evaluation, before anything is due, with the same time-only results."""
    if span is None:
        return False
    token, since, until, now = span
    if token is not plan.token or not since <= tick_time < until:
        return False
    return not now or now == plan.now_values(tick_time)


def still_quiet(state: VisitorState, now: float, plan: TickPlan) -> bool:
    """Whether the visitor's last ``online_activity`` evaluation still holds at ``now``
    (nothing the rules read changed since, see :mod:`.horizon`)."""
    if (
        state._evaluated is plan.token
        and not state._chat_changed
        and state._settled is not None
        and state._settled_at <= now
    ):
        _bound(state, plan)
        return now < state._quiet_until and state._quiet_now == plan.now_values(now)
    return False


def _bound(state: VisitorState, plan: TickPlan) -> None:
    """The bounds of the last evaluation, computed at its time on first use."""
    if state._quiet_now is None:
        at = state._settled_at
        assert state._settled is not None
        state._quiet_until = plan.quiet_until(state, state._armed, state._settled, at)
        state._quiet_now = plan.now_values(at)
