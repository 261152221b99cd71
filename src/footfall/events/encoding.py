"""Events and control messages back to their JSON form (for the topics they travel on)."""

from __future__ import annotations

from typing import Any

import orjson

from footfall.events.model import Control, Event
from footfall.events.timestamps import format_time

__all__ = ["control_to_dict", "encode", "event_to_dict"]

_PLAIN = (
    "event_id",
    "session_id",
    "site",
    "url",
    "title",
    "virtual_page",
    "referrer",
    "ip",
    "host_name",
    "user_agent",
    "browser",
    "os",
    "language",
    "country",
    "region",
    "chat_id",
    "invitation_id",
    "agent",
    "department",
    "group",
    "sender",
    "text",
    "source",
)


def event_to_dict(event: Event) -> dict[str, Any]:
    """The SPEC §2 JSON object of an event (absent fields left out)."""
    out: dict[str, Any] = {
        "type": event.type,
        "visitor_id": event.visitor_id,
        "time": format_time(event.time),
    }
    for name in _PLAIN:
        value = getattr(event, name)
        if value is not None:
            out[name] = value
    if event.customer_name is not None or event.customer_email is not None:
        customer: dict[str, str] = {}
        if event.customer_name is not None:
            customer["name"] = event.customer_name
        if event.customer_email is not None:
            customer["email"] = event.customer_email
        out["customer"] = customer
    if event.caused_by is not None:
        out["caused_by"] = event.caused_by.to_dict()
    return out


def control_to_dict(control: Control) -> dict[str, Any]:
    """The SPEC §1 JSON object of a control message."""
    out: dict[str, Any] = {
        "type": control.type,
        "visitor_id": control.visitor_id,
        "time": format_time(control.time),
    }
    if control.event_id is not None:
        out["event_id"] = control.event_id
    if control.caused_by is not None:
        out["caused_by"] = control.caused_by.to_dict()
    return out


def encode(message: Event | Control) -> bytes:
    """orjson bytes of an event or control message."""
    if isinstance(message, Event):
        return orjson.dumps(event_to_dict(message))
    return orjson.dumps(control_to_dict(message))
