"""The Who's On list rows (SPEC §10 ``GET /api/visitors``) built from visitor states."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from footfall.engine.state import VisitorState
from footfall.events import format_time

__all__ = ["COLUMNS", "sort_rows", "visitor_row"]

#: The columns of a Who's On row, in display order.
COLUMNS = (
    "visitor_id",
    "status",
    "started_at",
    "duration_minutes",
    "hits",
    "idle_minutes",
    "country",
    "current_page",
    "customer_name",
)

_STATUS = {"invited": "invited", "chatting": "chatting"}


def visitor_row(state: VisitorState, now: float) -> dict[str, Any]:
    """One online visitor as the Who's On list shows them, at wall-clock time ``now``.

    ``status`` is ``invited`` or ``chatting`` from the chat status, else ``browsing``;
    minutes are rounded to two decimals and never negative.
    """
    started = state.started_at
    return {
        "visitor_id": state.visitor_id,
        "status": _STATUS.get(state.chat_status, "browsing"),
        "started_at": None if started is None else format_time(started),
        "duration_minutes": _minutes(now, started),
        "hits": state.hits,
        "idle_minutes": _minutes(now, state.last_activity or started),
        "country": state.country,
        "current_page": state.current_page,
        "customer_name": state.customer_name,
    }


def sort_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Longest-online first, then by visitor id (the order of SmarterTrack's list)."""
    return sorted(rows, key=lambda row: (row.get("started_at") or "", row["visitor_id"]))


def _minutes(now: float, since: float | None) -> float | None:
    if since is None:
        return None
    return round(max(0.0, now - since) / 60.0, 2)
