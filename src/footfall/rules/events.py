"""Rule events (SPEC §4.1): which input fires them and who may use them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["ADMIN_ONLY_EVENTS", "ROLES", "RULE_EVENTS", "RULE_EVENT_SOURCES"]

ROLES: frozenset[str] = frozenset({"admin", "agent"})

#: Rule event -> the input event type that fires it (ticks also fire ``online_activity``;
#: remove/purge control commands fire the two list events).
RULE_EVENT_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "online_activity": "page_view",
        "live_chat_invited": "chat_invited",
        "live_chat_accepted": "chat_invitation_accepted",
        "live_chat_rejected": "chat_invitation_rejected",
        "live_chat_invitation_ignored": "chat_invitation_ignored",
        "online_visitor_removed": "remove",
        "online_visitor_purged": "purge",
        "live_chat_started": "chat_started",
        "live_chat_message": "chat_message",
        "live_chat_ended": "chat_ended",
    }
)

RULE_EVENTS: frozenset[str] = frozenset(RULE_EVENT_SOURCES)

#: Events only admin-owned rules may use.
ADMIN_ONLY_EVENTS: frozenset[str] = frozenset({"online_visitor_removed", "online_visitor_purged"})
