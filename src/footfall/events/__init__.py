"""Input events and control messages: the typed model, parsing and encoding (SPEC §2)."""

from footfall.events.encoding import control_to_dict, encode, event_to_dict
from footfall.events.errors import REASONS, EventError
from footfall.events.model import (
    CHAT_EVENT_TYPES,
    CONTROL_TYPES,
    EVENT_TYPES,
    INVITATION_ANSWERS,
    VISITOR_EVENT_TYPES,
    CausedBy,
    Control,
    Event,
)
from footfall.events.parsing import (
    DEFAULT_MAX_EVENT_BYTES,
    canonical_digest,
    parse_control,
    parse_event,
    parse_message,
)
from footfall.events.timestamps import format_time, parse_time

__all__ = [
    "CHAT_EVENT_TYPES",
    "CONTROL_TYPES",
    "DEFAULT_MAX_EVENT_BYTES",
    "EVENT_TYPES",
    "INVITATION_ANSWERS",
    "REASONS",
    "VISITOR_EVENT_TYPES",
    "CausedBy",
    "Control",
    "Event",
    "EventError",
    "canonical_digest",
    "control_to_dict",
    "encode",
    "event_to_dict",
    "format_time",
    "parse_control",
    "parse_event",
    "parse_message",
    "parse_time",
]
