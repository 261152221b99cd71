"""One line of the Who's On list (SPEC §10 ``GET /api/visitors``) from a visitor's state."""

from __future__ import annotations

from typing import Any

from footfall.engine.state import VisitorState
from footfall.events import format_time

__all__ = ["visitor_summary"]

_STATUS = {"invited": "invited", "chatting": "chatting"}


def visitor_summary(state: VisitorState, now: float) -> dict[str, Any] | None:
    """The Who's On entry of an online visitor at ``now``; ``None`` when not online.

    ``status`` is ``invited`` or ``chatting`` from the chat status, else ``browsing``.
    """
    if not state.online or state.started_at is None:
        return None
    return {
        "visitor_id": state.visitor_id,
        "status": _STATUS.get(state.chat_status, "browsing"),
        "started_at": format_time(state.started_at),
        "duration_minutes": round(max(0.0, now - state.started_at) / 60.0, 2),
        "hits": state.hits,
        "idle_minutes": round(max(0.0, now - state.last_activity) / 60.0, 2),
        "country": state.country,
        "current_page": state.current_page,
        "customer_name": state.customer_name,
    }
