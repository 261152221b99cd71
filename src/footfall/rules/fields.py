"""The condition field catalogue (SPEC §4.2): every field a rule may test or a template name.

``FIELDS`` maps a field name to its :class:`FieldSpec`. The engine supplies every field of
``FACT_FIELDS`` in the facts mapping of an evaluation (a missing key means "no value");
``time_of_day`` and ``day_of_week`` are derived from the evaluation time in the rule's
time zone.

Fact representation: STRING/TEXT/IP/STATUS -> ``str``; COUNT -> ``int``; NUMBER -> ``float``
(minutes); DATETIME -> ``float`` epoch seconds (UTC). TIME and DAY are never facts.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "CHAT_STATUSES",
    "COUNT_FIELDS",
    "DERIVED_FIELDS",
    "FACT_FIELDS",
    "FIELDS",
    "WINDOWABLE_FIELDS",
    "FieldSpec",
    "FieldType",
]


class FieldType(enum.Enum):
    """What kind of value a field holds; decides which operators fit it."""

    STRING = "string"
    TEXT = "text"
    TIME = "time"
    DAY = "day"
    NUMBER = "number"
    COUNT = "count"
    DATETIME = "datetime"
    IP = "ip"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One condition field: its name, type and whether it accepts ``window``."""

    name: str
    type: FieldType
    windowable: bool = False


CHAT_STATUSES: frozenset[str] = frozenset({"none", "invited", "chatting", "ended"})

_S = FieldType.STRING
_CATALOGUE: tuple[FieldSpec, ...] = (
    FieldSpec("time_of_day", FieldType.TIME),
    FieldSpec("day_of_week", FieldType.DAY),
    FieldSpec("agent", _S),
    FieldSpec("department", _S),
    FieldSpec("group", _S),
    FieldSpec("sent_message", FieldType.TEXT),
    FieldSpec("customer_name", _S),
    FieldSpec("customer_email", _S),
    FieldSpec("ip", FieldType.IP),
    FieldSpec("host_name", _S),
    FieldSpec("host_domain", _S),
    FieldSpec("session_start", FieldType.DATETIME),
    FieldSpec("hits", FieldType.COUNT, windowable=True),
    FieldSpec("duration_minutes", FieldType.NUMBER),
    FieldSpec("idle_minutes", FieldType.NUMBER),
    FieldSpec("country", _S),
    FieldSpec("region", _S),
    FieldSpec("language", _S),
    FieldSpec("browser", _S),
    FieldSpec("os", _S),
    FieldSpec("chat_status", FieldType.STATUS),
    FieldSpec("initial_page", _S),
    FieldSpec("initial_virtual_page", _S),
    FieldSpec("initial_page_title", _S),
    FieldSpec("initial_referrer", _S),
    FieldSpec("current_page", _S),
    FieldSpec("current_virtual_page", _S),
    FieldSpec("current_page_title", _S),
    FieldSpec("current_referrer", _S),
    FieldSpec("invites_sent", FieldType.COUNT, windowable=True),
    FieldSpec("invites_rejected", FieldType.COUNT, windowable=True),
    FieldSpec("invites_accepted", FieldType.COUNT, windowable=True),
    FieldSpec("invites_ignored", FieldType.COUNT, windowable=True),
    FieldSpec("invitation_last_sent", FieldType.DATETIME),
    FieldSpec("last_chat_at", FieldType.DATETIME),
    FieldSpec("first_chat_at", FieldType.DATETIME),
    FieldSpec("visitor_id", _S),
    FieldSpec("site", _S),
    FieldSpec("visits", FieldType.COUNT, windowable=True),
    FieldSpec("user_agent", _S),
)

FIELDS: Mapping[str, FieldSpec] = MappingProxyType({f.name: f for f in _CATALOGUE})

#: Fields computed from the evaluation time and the rule's time zone, never facts.
DERIVED_FIELDS: frozenset[str] = frozenset({"time_of_day", "day_of_week"})

#: Fields the engine supplies in ``EvalContext.facts`` (catalogue order).
FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in _CATALOGUE if f.name not in DERIVED_FIELDS)

COUNT_FIELDS: frozenset[str] = frozenset(f.name for f in _CATALOGUE if f.type is FieldType.COUNT)
WINDOWABLE_FIELDS: frozenset[str] = frozenset(f.name for f in _CATALOGUE if f.windowable)
