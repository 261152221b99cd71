"""The facts of an evaluation: what rules test and what commands carry (SPEC §4.2, §7).

:func:`facts_at` gives the values rules see (``footfall.rules.fields`` representation:
strings, ``int`` counts, ``float`` minutes, ``float`` epoch datetimes); it reuses the
part that does not depend on the evaluation time until the state changes, so ticks
only add the two clocks. Facts are in catalogue order, so that
:func:`ordered_json_facts` turns them into the JSON form commands carry (also in
catalogue order) by converting only the datetimes and minutes.
"""

from __future__ import annotations

from collections.abc import Mapping

from footfall.engine.state import VisitorState
from footfall.events import format_time
from footfall.rules.clock import clock_for
from footfall.rules.context import EvalContext
from footfall.rules.fields import FACT_FIELDS

__all__ = [
    "DATETIME_FACTS",
    "EngineContext",
    "facts_at",
    "json_facts",
    "local_time_facts",
    "ordered_json_facts",
    "tick_facts",
    "with_local_time",
]

DATETIME_FACTS = frozenset(
    {"session_start", "invitation_last_sent", "last_chat_at", "first_chat_at"}
)
_DATETIMES = tuple(name for name in FACT_FIELDS if name in DATETIME_FACTS)


def _base_facts(state: VisitorState) -> dict[str, object]:
    """Every fact that does not depend on ``now``, in catalogue order (absent: no key),
    with ``duration_minutes`` and ``idle_minutes`` in their places (0.0, set by
    :func:`facts_at`) when a session started: evaluations copy it and set the two."""
    s = state
    facts: dict[str, object] = {}
    v: object
    if (v := s.agent) is not None:
        facts["agent"] = v
    if (v := s.department) is not None:
        facts["department"] = v
    if (v := s.group) is not None:
        facts["group"] = v
    if (v := s.transcript) is not None:
        facts["sent_message"] = v
    if (v := s.customer_name) is not None:
        facts["customer_name"] = v
    if (v := s.customer_email) is not None:
        facts["customer_email"] = v
    if (v := s.ip) is not None:
        facts["ip"] = v
    if (v := s.host_name) is not None:
        facts["host_name"] = v
    if (v := s.host_domain) is not None:
        facts["host_domain"] = v
    if (v := s.started_at) is not None:
        facts["session_start"] = v
    if (v := s.hits) is not None:
        facts["hits"] = v
    if s.started_at is not None:
        facts["duration_minutes"] = 0.0
        facts["idle_minutes"] = 0.0
    if (v := s.country) is not None:
        facts["country"] = v
    if (v := s.region) is not None:
        facts["region"] = v
    if (v := s.language) is not None:
        facts["language"] = v
    if (v := s.browser) is not None:
        facts["browser"] = v
    if (v := s.os) is not None:
        facts["os"] = v
    if (v := s.chat_status) is not None:
        facts["chat_status"] = v
    if (v := s.initial_page) is not None:
        facts["initial_page"] = v
    if (v := s.initial_virtual_page) is not None:
        facts["initial_virtual_page"] = v
    if (v := s.initial_page_title) is not None:
        facts["initial_page_title"] = v
    if (v := s.initial_referrer) is not None:
        facts["initial_referrer"] = v
    if (v := s.current_page) is not None:
        facts["current_page"] = v
    if (v := s.current_virtual_page) is not None:
        facts["current_virtual_page"] = v
    if (v := s.current_page_title) is not None:
        facts["current_page_title"] = v
    if (v := s.current_referrer) is not None:
        facts["current_referrer"] = v
    if (v := s.invites_sent) is not None:
        facts["invites_sent"] = v
    if (v := s.invites_rejected) is not None:
        facts["invites_rejected"] = v
    if (v := s.invites_accepted) is not None:
        facts["invites_accepted"] = v
    if (v := s.invites_ignored) is not None:
        facts["invites_ignored"] = v
    if (v := s.invitation_last_sent) is not None:
        facts["invitation_last_sent"] = v
    if (v := s.last_chat_at) is not None:
        facts["last_chat_at"] = v
    if (v := s.first_chat_at) is not None:
        facts["first_chat_at"] = v
    if (v := s.visitor_id) is not None:
        facts["visitor_id"] = v
    if (v := s.site) is not None:
        facts["site"] = v
    if (v := s.visits) is not None:
        facts["visits"] = v
    if (v := s.user_agent) is not None:
        facts["user_agent"] = v
    return facts


def facts_at(state: VisitorState, now: float, sent_message: str | None = None) -> dict[str, object]:
    """The facts of ``state`` evaluated at ``now`` (a fresh dict the caller may keep), in
    catalogue order.

    ``sent_message`` replaces the chat transcript (a ``live_chat_message`` evaluation
    sees the message's own text).
    """
    base = state._facts
    if base is None:
        base = state._facts = _base_facts(state)
    facts = base.copy()
    start = state.started_at
    if start is not None:
        facts["duration_minutes"] = max(0.0, now - start) / 60.0
        facts["idle_minutes"] = max(0.0, now - state.last_activity) / 60.0
    if sent_message is not None:
        if "sent_message" in facts:
            facts["sent_message"] = sent_message
        else:
            facts = _in_order({**facts, "sent_message": sent_message})
    return facts


def tick_facts(state: VisitorState, now: float) -> dict[str, object]:
    """Like :func:`facts_at`, but the dict is the visitor's own, reused by every tick until
    the state changes (only the two clocks are updated): copy it to keep it."""
    base = state._facts
    if base is None:
        base = state._facts = _base_facts(state)
    facts = state._tick_facts
    if facts is None or state._tick_base is not base:
        facts = state._tick_facts = facts_at(state, now)
        state._tick_base = base
    elif state.started_at is not None:
        facts["duration_minutes"] = max(0.0, now - state.started_at) / 60.0
        facts["idle_minutes"] = max(0.0, now - state.last_activity) / 60.0
    return facts


def _in_order(facts: Mapping[str, object]) -> dict[str, object]:
    """``facts`` in catalogue order."""
    get = facts.get
    return {name: v for name in FACT_FIELDS if (v := get(name)) is not None}


class EngineContext(EvalContext):
    """The :class:`footfall.rules.context.EvalContext` of one evaluation of a visitor."""

    __slots__ = ("state",)

    def __init__(self, state: VisitorState, now: float, facts: dict[str, object]) -> None:
        self.state = state
        self.now = now
        self.facts = facts

    def window_count(self, field: str, seconds: float) -> int:
        return self.state.window_count(field, self.now, seconds)


def local_time_facts(timezone: str, now: float) -> tuple[str, str]:
    """``time_of_day`` (``HH:MM``) and ``day_of_week`` (``mon``..``sun``) in a zone."""
    return clock_for(timezone).texts(now)


def json_facts(facts: Mapping[str, object]) -> dict[str, object]:
    """Facts in JSON form and catalogue order: datetimes as RFC 3339 strings, minutes
    rounded to 2 decimals. ``facts`` maps fact fields to their values, in any order.
    """
    return ordered_json_facts(_in_order(facts))


def ordered_json_facts(facts: Mapping[str, object]) -> dict[str, object]:
    """:func:`json_facts` of facts already in catalogue order (what :func:`facts_at` and
    :func:`tick_facts` return): a copy with the datetimes and minutes converted."""
    out = dict(facts)
    for name in _DATETIMES:
        value = out.get(name)
        if value is not None:
            out[name] = format_time(value)  # type: ignore[arg-type] # epoch seconds
    value = out.get("duration_minutes")
    if value is not None:
        out["duration_minutes"] = round(value, 2)  # type: ignore[call-overload]
        out["idle_minutes"] = round(out["idle_minutes"], 2)  # type: ignore[call-overload]
    return out


def with_local_time(facts: Mapping[str, object], timezone: str, now: float) -> dict[str, object]:
    """JSON facts led by ``time_of_day`` and ``day_of_week`` in ``timezone`` at ``now``."""
    time_of_day, day_of_week = local_time_facts(timezone, now)
    return {"time_of_day": time_of_day, "day_of_week": day_of_week, **facts}
