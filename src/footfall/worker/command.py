"""The action command of SPEC §7 as the worker reads it, and the ids derived from it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from footfall.worker.errors import BadCommandError

__all__ = ["Command", "Owner", "derive_id", "parse_command"]


@dataclass(frozen=True, slots=True)
class Owner:
    """The rule's owner: ``role`` is ``admin`` or ``agent``; ``id`` may be absent for admins."""

    role: str
    id: str | None


@dataclass(frozen=True, slots=True)
class Command:
    """One action command. ``raw`` is the decoded JSON object exactly as received."""

    command_id: str
    kind: str
    params: dict[str, Any]
    visitor_id: str
    rule_id: str
    owner: Owner | None
    caused_by_depth: int
    raw: dict[str, Any]

    def caused_by(self) -> dict[str, Any]:
        """``caused_by`` for events and commands this command causes (one level deeper)."""
        return {"rule_id": self.rule_id, "depth": self.caused_by_depth + 1}

    def derived_id(self, purpose: str) -> str:
        return derive_id(self.command_id, purpose)


def derive_id(command_id: str, purpose: str) -> str:
    """A deterministic id for something a command causes.

    ``sha256("<purpose>:<command_id>")`` in hex, first 32 characters. Purposes used:
    ``control`` (event_id of the remove/purge control message), ``invitation``
    (invitation_id) and ``chat_invited`` (event_id of the chat_invited event).
    """
    return hashlib.sha256(f"{purpose}:{command_id}".encode()).hexdigest()[:32]


def parse_command(value: bytes | None) -> Command:
    """Decode a command from the ``actions`` topic; BadCommandError says what is wrong."""
    if value is None:
        raise BadCommandError("empty message (null value) on the actions topic")
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise BadCommandError(f"not valid JSON: {exc}") from None
    return command_from_dict(raw)


def command_from_dict(raw: Any) -> Command:
    if not isinstance(raw, dict):
        raise BadCommandError("a command must be a JSON object")
    command_id = _text(raw, "command_id")
    visitor_id = _text(raw, "visitor_id")
    rule = raw.get("rule")
    if not isinstance(rule, dict):
        raise BadCommandError("rule: expected an object")
    rule_id = _text(rule, "id", "rule.")
    action = raw.get("action")
    if not isinstance(action, dict):
        raise BadCommandError("action: expected an object")
    kind = _text(action, "kind", "action.")
    params = action.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise BadCommandError("action.params: expected an object")
    owner = _owner(rule.get("owner"))
    depth = 0
    caused_by = raw.get("caused_by")
    if isinstance(caused_by, dict):
        value = caused_by.get("depth", 0)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            depth = value
    return Command(
        command_id=command_id,
        kind=kind,
        params=params,
        visitor_id=visitor_id,
        rule_id=rule_id,
        owner=owner,
        caused_by_depth=depth,
        raw=raw,
    )


def _owner(value: Any) -> Owner | None:
    if not isinstance(value, dict):
        return None
    role = value.get("role")
    ident = value.get("id")
    if not isinstance(role, str):
        return None
    return Owner(role=role, id=ident if isinstance(ident, str) and ident else None)


def _text(obj: dict[str, Any], key: str, where: str = "") -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise BadCommandError(f"{where}{key}: expected a non-empty string")
    return value
