"""The facts of an evaluation: what rules test and what commands carry (SPEC §4.2, §7).

:func:`facts_at` gives the values rules see (``footfall.rules.fields`` representation:
strings, ``int`` counts, ``float`` minutes, ``float`` epoch datetimes); it reuses the
part that does not depend on the evaluation time until the state changes, so ticks
only add the two clocks. :func:`json_facts` turns them into the JSON form commands carry.
"""

from __future__ import annotations

from collections.abc import Mapping

from footfall.engine.state import VisitorState
from footfall.events import format_time
from footfall.rules.clock import clock_for
from footfall.rules.fields import FACT_FIELDS
from footfall.rules.values import DAYS

__all__ = [
    "DATETIME_FACTS",
    "EngineContext",
    "facts_at",
    "json_facts",
    "local_time_facts",
    "tick_facts",
    "with_local_time",
]

DATETIME_FACTS = frozenset(
    {"session_start", "invitation_last_sent", "last_chat_at", "first_chat_at"}
)
_MINUTE_FACTS = frozenset({"duration_minutes", "idle_minutes"})


def _base_facts(state: VisitorState) -> dict[str, object]:
    """Every fact that does not depend on ``now``, in catalogue order (``None``: absent)."""
    s = state
    facts: dict[str, object] = {
        "agent": s.agent,
        "department": s.department,
        "group": s.group,
        "sent_message": s.transcript,
        "customer_name": s.customer_name,
        "customer_email": s.customer_email,
        "ip": s.ip,
        "host_name": s.host_name,
        "host_domain": s.host_domain,
        "session_start": s.started_at,
        "hits": s.hits,
        "country": s.country,
        "region": s.region,
        "language": s.language,
        "browser": s.browser,
        "os": s.os,
        "chat_status": s.chat_status,
        "initial_page": s.initial_page,
        "initial_virtual_page": s.initial_virtual_page,
        "initial_page_title": s.initial_page_title,
        "initial_referrer": s.initial_referrer,
        "current_page": s.current_page,
        "current_virtual_page": s.current_virtual_page,
        "current_page_title": s.current_page_title,
        "current_referrer": s.current_referrer,
        "invites_sent": s.invites_sent,
        "invites_rejected": s.invites_rejected,
        "invites_accepted": s.invites_accepted,
        "invites_ignored": s.invites_ignored,
        "invitation_last_sent": s.invitation_last_sent,
        "last_chat_at": s.last_chat_at,
        "first_chat_at": s.first_chat_at,
        "visitor_id": s.visitor_id,
        "site": s.site,
        "visits": s.visits,
        "user_agent": s.user_agent,
    }
    return {name: value for name, value in facts.items() if value is not None}


def facts_at(state: VisitorState, now: float, sent_message: str | None = None) -> dict[str, object]:
    """The facts of ``state`` evaluated at ``now`` (a fresh dict the caller may keep).

    ``sent_message`` replaces the chat transcript (a ``live_chat_message`` evaluation
    sees the message's own text).
    """
    base = state._facts
    if base is None:
        base = state._facts = _base_facts(state)
    facts = dict(base)
    if state.started_at is not None:
        facts["duration_minutes"] = max(0.0, now - state.started_at) / 60.0
        facts["idle_minutes"] = max(0.0, now - state.last_activity) / 60.0
    if sent_message is not None:
        facts["sent_message"] = sent_message
    return facts


def tick_facts(state: VisitorState, now: float) -> dict[str, object]:
    """Like :func:`facts_at`, but the dict is the visitor's own, reused by every tick until
    the state changes (only the two clocks are updated): copy it to keep it."""
    base = state._facts
    if base is None:
        base = state._facts = _base_facts(state)
    facts = state._tick_facts
    if facts is None or state._tick_base is not base:
        facts = state._tick_facts = dict(base)
        state._tick_base = base
    if state.started_at is not None:
        facts["duration_minutes"] = max(0.0, now - state.started_at) / 60.0
        facts["idle_minutes"] = max(0.0, now - state.last_activity) / 60.0
    return facts


class EngineContext:
    """The :class:`footfall.rules.context.EvalContext` of one evaluation."""

    __slots__ = ("facts", "now", "state")

    def __init__(self, state: VisitorState, now: float, facts: Mapping[str, object]) -> None:
        self.state = state
        self.now = now
        self.facts = facts

    def window_count(self, field: str, seconds: float) -> int:
        return self.state.window_count(field, self.now, seconds)


def local_time_facts(timezone: str, now: float) -> tuple[str, str]:
    """``time_of_day`` (``HH:MM``) and ``day_of_week`` (``mon``..``sun``) in a zone."""
    minute, day = clock_for(timezone).minute_and_day(now)
    return f"{minute // 60:02d}:{minute % 60:02d}", DAYS[day]


def json_facts(facts: Mapping[str, object]) -> dict[str, object]:
    """Facts in JSON form and catalogue order: datetimes as RFC 3339 strings, minutes
    rounded to 2 decimals. ``facts`` is what :func:`facts_at` returned.
    """
    out: dict[str, object] = {}
    for name in FACT_FIELDS:
        value = facts.get(name)
        if value is None:
            continue
        if name in DATETIME_FACTS:
            out[name] = format_time(value)
        elif name in _MINUTE_FACTS:
            out[name] = round(value, 2)  # type: ignore[call-overload]
        else:
            out[name] = value
    return out


def with_local_time(facts: Mapping[str, object], timezone: str, now: float) -> dict[str, object]:
    """JSON facts led by ``time_of_day`` and ``day_of_week`` in ``timezone`` at ``now``."""
    time_of_day, day_of_week = local_time_facts(timezone, now)
    out: dict[str, object] = {"time_of_day": time_of_day, "day_of_week": day_of_week}
    out.update(facts)
    return out
