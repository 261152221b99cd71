"""Parsing and validating input events and control messages (SPEC §1, §2).

Every rejection raises :class:`EventError` with a ``reason`` code and a message
that names the field and says what a valid value looks like. Unknown extra fields
are ignored so that trackers may send more than footfall reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from footfall.events.errors import EventError
from footfall.events.model import (
    CONTROL_TYPES,
    EVENT_TYPES,
    CausedBy,
    Control,
    Event,
)
from footfall.events.timestamps import parse_event_time
from footfall.events.useragent import browser_and_os

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "MAX_EVENT_ID_LENGTH",
    "MAX_VISITOR_ID_LENGTH",
    "canonical_digest",
    "decode",
    "parse_control",
    "parse_event",
    "parse_message",
]

DEFAULT_MAX_EVENT_BYTES = 65536
MAX_VISITOR_ID_LENGTH = 128
MAX_EVENT_ID_LENGTH = 128
#: How deep orjson writes nested arrays and objects (and so how deep a message
#: without an ``event_id`` may be: its identity is a digest of its JSON).
MAX_DIGEST_DEPTH = 254

# Optional string fields copied as they are (JSON null counts as absent).
_STRING_FIELDS = (
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
    "text",
    "source",
)
_SENDERS = ("visitor", "agent")


def decode(data: bytes | str | Mapping[str, Any], max_bytes: int) -> dict[str, Any]:
    """Turn bytes (or text, or an already decoded object) into a JSON object (a dict: the
    compiled build reads a dict's keys directly, any other mapping by method calls)."""
    if isinstance(data, dict):
        return data
    if isinstance(data, Mapping):
        return dict(data)
    # a lone surrogate in a text is kept, for orjson to reject as not UTF-8
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise EventError(
            "too_large",
            f"message is {len(raw)} bytes, more than the limit of {max_bytes} "
            "(FOOTFALL_MAX_EVENT_BYTES)",
        )
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EventError("not_json", f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise EventError("not_object", f"expected a JSON object, got a JSON {_json_type(obj)}")
    return obj


def canonical_digest(obj: Mapping[str, Any]) -> str:
    """A digest of the canonical JSON (sorted keys) of a message: ``"sha:"`` + 32 hex.

    A message orjson cannot write back (nested deeper than the 254 levels it writes,
    or, passed as an object rather than bytes, holding what JSON cannot hold) is an
    :class:`EventError`: without an ``event_id`` it would have no identity."""
    try:
        blob = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as exc:
        if "recursion" in str(exc).lower():
            raise EventError(
                "too_deep",
                f"message is nested more than {MAX_DIGEST_DEPTH} levels deep and has no "
                "event_id to identify it: flatten it or give it an event_id",
            ) from None
        raise EventError("not_json", f"message cannot be written as JSON: {exc}") from None
    return "sha:" + hashlib.blake2b(blob, digest_size=16).hexdigest()


def parse_message(
    data: bytes | str | Mapping[str, Any], max_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> Event | Control:
    """Parse an event or, when ``type`` is ``remove``/``purge``, a control message."""
    obj = decode(data, max_bytes)
    kind = obj.get("type")
    if isinstance(kind, str) and kind in CONTROL_TYPES:  # a list or object is not hashable
        return parse_control(obj, max_bytes)
    return parse_event(obj, max_bytes)


def parse_event(
    data: bytes | str | Mapping[str, Any], max_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> Event:
    """Parse and validate one visitor or chat event."""
    obj = decode(data, max_bytes)
    kind = _required_str(obj, "type")
    if kind not in EVENT_TYPES:
        raise EventError(
            "unknown_type",
            f"type: unknown event type {kind[:64]!r}; expected one of "
            f"{', '.join(sorted(EVENT_TYPES))}",
            "type",
        )
    visitor_id = _visitor_id(obj)
    time = parse_event_time(_required(obj, "time"))
    event_id = _event_id(obj)
    values: dict[str, Any] = {}
    for name in _STRING_FIELDS:
        value = obj.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise _wrong_type(name, "a string", value)
            values[name] = value
    customer = obj.get("customer")
    if customer is not None:
        if not isinstance(customer, dict):
            raise _wrong_type("customer", "an object {name, email}", customer)
        for key in ("name", "email"):
            value = customer.get(key)
            if value is not None:
                if not isinstance(value, str):
                    raise _wrong_type(f"customer.{key}", "a string", value)
                values[f"customer_{key}"] = value
    if kind == "page_view" and "url" not in values:
        raise EventError("missing_field", "url: a page_view needs the page's url", "url")
    if kind == "chat_message":
        sender = obj.get("sender")
        if sender is None:
            raise EventError(
                "missing_field",
                "sender: a chat_message needs sender 'visitor' or 'agent'",
                "sender",
            )
        if not isinstance(sender, str):
            raise _wrong_type("sender", "'visitor' or 'agent'", sender)
        if sender not in _SENDERS:
            raise EventError(
                "bad_value", f"sender: expected 'visitor' or 'agent', got {sender[:64]!r}", "sender"
            )
        values["sender"] = sender
    caused_by = _caused_by(obj)
    user_agent = values.get("user_agent")
    if user_agent is not None and ("browser" not in values or "os" not in values):
        browser, system = browser_and_os(user_agent)
        if "browser" not in values and browser is not None:
            values["browser"] = browser
        if "os" not in values and system is not None:
            values["os"] = system
    identity = event_id if event_id is not None else canonical_digest(obj)
    # every field by name, no **values: the compiled build's keyword parsing of a
    # mapping costs ≈ 20,000 instructions per event, a direct call almost nothing
    return Event(
        type=kind,
        visitor_id=visitor_id,
        time=time,
        identity=identity,
        event_id=event_id,
        session_id=values.get("session_id"),
        site=values.get("site"),
        url=values.get("url"),
        title=values.get("title"),
        virtual_page=values.get("virtual_page"),
        referrer=values.get("referrer"),
        ip=values.get("ip"),
        host_name=values.get("host_name"),
        user_agent=values.get("user_agent"),
        browser=values.get("browser"),
        os=values.get("os"),
        language=values.get("language"),
        country=values.get("country"),
        region=values.get("region"),
        customer_name=values.get("customer_name"),
        customer_email=values.get("customer_email"),
        chat_id=values.get("chat_id"),
        invitation_id=values.get("invitation_id"),
        agent=values.get("agent"),
        department=values.get("department"),
        group=values.get("group"),
        sender=values.get("sender"),
        text=values.get("text"),
        source=values.get("source"),
        caused_by=caused_by,
    )


def parse_control(
    data: bytes | str | Mapping[str, Any], max_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> Control:
    """Parse and validate one ``control`` message ``{type: remove|purge, visitor_id, time}``."""
    obj = decode(data, max_bytes)
    kind = _required_str(obj, "type")
    if kind not in CONTROL_TYPES:
        raise EventError(
            "unknown_type",
            f"type: unknown control type {kind[:64]!r}; expected 'remove' or 'purge'",
            "type",
        )
    visitor_id = _visitor_id(obj)
    time = parse_event_time(_required(obj, "time"))
    event_id = _event_id(obj)
    return Control(
        type=kind,
        visitor_id=visitor_id,
        time=time,
        identity=event_id if event_id is not None else canonical_digest(obj),
        event_id=event_id,
        caused_by=_caused_by(obj),
    )


def _required(obj: dict[str, Any], name: str) -> Any:
    value = obj.get(name)
    if value is None:
        raise EventError("missing_field", f"{name}: required field is missing", name)
    return value


def _required_str(obj: dict[str, Any], name: str) -> str:
    value = _required(obj, name)
    if not isinstance(value, str):
        raise _wrong_type(name, "a string", value)
    return value


def _visitor_id(obj: dict[str, Any]) -> str:
    visitor_id = _required_str(obj, "visitor_id")
    if not 1 <= len(visitor_id) <= MAX_VISITOR_ID_LENGTH:
        raise EventError(
            "bad_value",
            f"visitor_id: must be 1 to {MAX_VISITOR_ID_LENGTH} characters, got {len(visitor_id)}",
            "visitor_id",
        )
    return visitor_id


def _event_id(obj: dict[str, Any]) -> str | None:
    event_id = obj.get("event_id")
    if event_id is None:
        return None
    if not isinstance(event_id, str):
        raise _wrong_type("event_id", "a string", event_id)
    if not 1 <= len(event_id) <= MAX_EVENT_ID_LENGTH:
        raise EventError(
            "bad_value",
            f"event_id: must be 1 to {MAX_EVENT_ID_LENGTH} characters, got {len(event_id)}",
            "event_id",
        )
    return event_id


def _caused_by(obj: dict[str, Any]) -> CausedBy | None:
    value = obj.get("caused_by")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong_type("caused_by", "an object {rule_id, depth}", value)
    rule_id = value.get("rule_id")
    depth = value.get("depth")
    if not isinstance(rule_id, str) or not rule_id:
        raise _wrong_type("caused_by.rule_id", "a non-empty string", rule_id)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise _wrong_type("caused_by.depth", "a whole number >= 0", depth)
    return CausedBy(rule_id, depth)


def _wrong_type(name: str, expected: str, value: object) -> EventError:
    return EventError(
        "wrong_type", f"{name}: expected {expected}, got a JSON {_json_type(value)}", name
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
