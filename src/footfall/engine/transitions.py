"""How events change a visitor's state (SPEC §3): sessions, pages, identity, chat, counters.

Functions here only update the state; they evaluate no rules. Out-of-order events
(older than ``state.latest``) update counters and fill fields that have no value yet,
but move no clock backwards and do not replace newer values.
"""

from __future__ import annotations

from collections.abc import Mapping

from footfall.engine.domains import registrable_domain
from footfall.engine.state import PENDING_INVITATIONS, TRANSCRIPT_CHARS, VisitorState
from footfall.engine.throttle import prune_marks
from footfall.events import Event

__all__ = ["TIMED_OUT_KEPT", "apply_event", "end_session", "start_session", "take_answer"]

_PROFILE_EVENT_FIELDS = (
    "site",
    "ip",
    "user_agent",
    "browser",
    "os",
    "language",
    "country",
    "region",
)
_ANSWER_COUNTERS = {
    "chat_invitation_accepted": "invites_accepted",
    "chat_invitation_rejected": "invites_rejected",
    "chat_invitation_ignored": "invites_ignored",
}


def start_session(
    state: VisitorState, at: float, session_id: str | None, windows: Mapping[str, float]
) -> None:
    """Begin a new session at ``at`` (the previous one, if any, is ended first)."""
    end_session(state)
    state.online = True
    state.removed_at = None  # back by their own doing (see Engine.handle_event)
    state.session_id = session_id
    state.started_at = at
    state.last_activity = max(at, state.last_activity)
    state.visits += 1
    state.record("visits", at, windows.get("visits"))


def end_session(state: VisitorState) -> None:
    """Take the visitor off the Who's On list; lifetime data stays."""
    state.online = False
    state.session_id = None
    state.started_at = None
    state.hits = 0
    state.page_time = 0.0
    state.chat_status = "none"
    state.initial_page = state.initial_virtual_page = None
    state.initial_page_title = state.initial_referrer = None
    state.current_page = state.current_virtual_page = None
    state.current_page_title = state.current_referrer = None
    state.held = frozenset()
    if state.throttle:
        prune_marks(state.throttle, state.latest)
    state.changed()


def apply_event(
    state: VisitorState,
    event: Event,
    idle_timeout: float,
    windows: Mapping[str, float],
    *,
    may_start: bool = True,
) -> bool:
    """Apply one (new, in-time-order or late) event; return True when it started a session.

    ``session_end`` ends the session and never starts one; nor does an event applied
    with ``may_start=False`` (the engine's own invitation timeouts).
    """
    t = event.time
    in_order = t >= state.latest
    kind = event.type
    evaluated = state._evaluated
    state.changed()
    started = False
    if kind == "session_end":
        if state.online and (
            event.session_id is None
            or state.session_id is None
            or event.session_id == state.session_id
        ):
            end_session(state)
        state.latest = max(state.latest, t)
        return False
    if may_start and (
        not state.online
        or (
            event.session_id is not None
            and state.session_id is not None
            and event.session_id != state.session_id
        )
        or (in_order and t - state.last_activity >= idle_timeout)
    ):
        start_session(state, t, event.session_id, windows)
        started = True
    elif state.online and state.session_id is None and event.session_id is not None:
        state.session_id = event.session_id  # the session's first tracker session id
    if in_order:
        state.latest = t
    if kind == "page_view":
        _page_view(state, event, in_order, windows)
    elif kind == "identify":
        _identify(state, event, in_order)
    else:
        site = state.site
        _chat(state, event, in_order, windows)
        if not started and state.site == site:
            state.changed_chat(evaluated)
    return started


def _page_view(
    state: VisitorState, event: Event, in_order: bool, windows: Mapping[str, float]
) -> None:
    t = event.time
    state.hits += 1
    state.record("hits", t, windows.get("hits"))
    if t > state.last_activity:
        state.last_activity = t
    if state.initial_page is None:
        state.initial_page = event.url
        state.initial_virtual_page = event.virtual_page
        state.initial_page_title = event.title
        state.initial_referrer = event.referrer
    if t >= state.page_time:
        state.page_time = t
        state.current_page = event.url
        state.current_virtual_page = event.virtual_page
        state.current_page_title = event.title
        state.current_referrer = event.referrer
    for name in _PROFILE_EVENT_FIELDS:
        value = getattr(event, name)
        if value is not None and (in_order or getattr(state, name) is None):
            setattr(state, name, value)
    host = event.host_name
    if host is not None and (in_order or state.host_name is None):
        state.host_name = host
        state.host_domain = registrable_domain(host)
    _identify(state, event, in_order)


def _identify(state: VisitorState, event: Event, in_order: bool) -> None:
    if event.customer_name is not None and (in_order or state.customer_name is None):
        state.customer_name = event.customer_name
    if event.customer_email is not None and (in_order or state.customer_email is None):
        state.customer_email = event.customer_email
    if event.site is not None and (in_order or state.site is None):
        state.site = event.site


def _chat(state: VisitorState, event: Event, in_order: bool, windows: Mapping[str, float]) -> None:
    t = event.time
    kind = event.type
    if event.site is not None and (in_order or state.site is None):
        state.site = event.site
    # The chat status follows the chat events' own order: they come on a topic of their
    # own, so a page view read before an older chat_ended must not leave the visitor
    # "chatting" (the time of the latest chat event applied in order is kept).
    chat_at = state.chat_at
    in_order = chat_at is None or t >= chat_at
    if in_order:
        state.chat_at = t
    fresh = kind in ("chat_invited", "chat_started") or (
        event.chat_id is not None and event.chat_id != state.chat_id
    )
    if in_order or state.chat_id is None:
        if fresh:
            state.agent = event.agent
            state.department = event.department
            state.group = event.group
        else:
            if event.agent is not None:
                state.agent = event.agent
            if event.department is not None:
                state.department = event.department
            if event.group is not None:
                state.group = event.group
        if event.chat_id is not None:
            if event.chat_id != state.chat_id:
                state.transcript = None
            state.chat_id = event.chat_id
    if kind == "chat_invited":
        state.invites_sent += 1
        state.record("invites_sent", t, windows.get("invites_sent"))
        if state.invitation_last_sent is None or t > state.invitation_last_sent:
            state.invitation_last_sent = t
        key = event.invitation_id or event.identity
        if key not in state.pending and not state.is_resolved(key):
            state.pending[key] = [t, None if event.caused_by is None else event.caused_by.to_dict()]
            if len(state.pending) > PENDING_INVITATIONS:
                del state.pending[next(iter(state.pending))]
        if in_order and state.chat_status != "chatting":
            state.chat_status = "invited"
    elif kind in _ANSWER_COUNTERS:
        counter = _ANSWER_COUNTERS[kind]
        setattr(state, counter, getattr(state, counter) + 1)
        state.record(counter, t, windows.get(counter))
        if kind == "chat_invitation_accepted":
            _chat_began(state, t, in_order)
        elif in_order and state.chat_status == "invited" and len(state.pending) == 0:
            state.chat_status = "ended" if state.first_chat_at is not None else "none"
    elif kind == "chat_started":
        state.transcript = None if in_order else state.transcript
        _chat_began(state, t, in_order)
    elif kind == "chat_message":
        text = event.text or ""
        if text:
            transcript = text if not state.transcript else f"{state.transcript}\n{text}"
            state.transcript = transcript[-TRANSCRIPT_CHARS:]
        if event.sender == "visitor" and t > state.last_activity:
            state.last_activity = t
        if in_order and state.chat_status != "chatting":
            state.chat_status = "chatting"
    elif kind == "chat_ended" and in_order:
        state.chat_status = "ended"


def _chat_began(state: VisitorState, t: float, in_order: bool) -> None:
    if state.first_chat_at is None or t < state.first_chat_at:
        state.first_chat_at = t
    if state.last_chat_at is None or t > state.last_chat_at:
        state.last_chat_at = t
    if in_order:
        state.chat_status = "chatting"


#: How many timed-out invitations a state remembers for answers that come late.
TIMED_OUT_KEPT = 8


def take_answer(state: VisitorState, event: Event) -> bool:
    """Resolve the invitation an answer refers to; False when it was already resolved.

    An answer without ``invitation_id`` answers the most recent pending invitation.
    An answer to an invitation footfall never saw (sent before the state existed, or
    dropped from the bounded pending set) is accepted.
    """
    key = event.invitation_id
    if key is None:
        if not state.pending:
            return True
        key = next(reversed(state.pending))
    if state.is_resolved(key):
        # an answer given before the invitation timed out counts even when it reaches
        # footfall after the timeout (delivered late: a broker outage, a backlog)
        deadline = state.timed_out.get(key)
        if deadline is None or event.time >= deadline:
            return False
        del state.timed_out[key]
        return True
    state.pending.pop(key, None)
    state.mark_resolved(key)
    return True
