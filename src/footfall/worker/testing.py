"""Test helpers shipped with the worker: command builders and recording transports."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import orjson

__all__ = ["RecordingMailer", "RecordingPublisher", "build_command", "encode_command"]


def build_command(
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    visitor_id: str = "v-1",
    rule_id: str = "test-rule",
    owner: dict[str, Any] | None = None,
    command_id: str | None = None,
    seq: int = 0,
    caused_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A command shaped as SPEC §7 produces it, with a deterministic id from its inputs."""
    params = dict(params or {})
    if command_id is None:
        digest = hashlib.sha256(f"{rule_id}|{kind}|{visitor_id}|{seq}".encode()).hexdigest()
        command_id = digest[:40]
    return {
        "command_id": command_id,
        "rule": {
            "id": rule_id,
            "name": f"Rule {rule_id}",
            "version": "v1",
            "owner": owner or {"role": "admin"},
        },
        "action": {"index": 0, "kind": kind, "params": params},
        "visitor_id": visitor_id,
        "trigger": {
            "event": "online_activity",
            "source": "event",
            "event_id": f"e-{seq}",
            "time": "2026-11-26T10:00:00Z",
        },
        "facts": {"visitor_id": visitor_id, "hits": 3},
        "fired_at": "2026-11-26T10:00:00Z",
        "suppressed_since_last": 0,
        "caused_by": caused_by,
    }


def encode_command(command: dict[str, Any]) -> tuple[bytes, bytes]:
    """(key, value) to produce a command on the ``actions`` topic."""
    return str(command["visitor_id"]).encode(), orjson.dumps(command)


@dataclass
class RecordingMailer:
    """A mail transport that keeps what it was asked to send."""

    sent: list[tuple[EmailMessage, str, list[str]]] = field(default_factory=list)

    async def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        self.sent.append((message, sender, list(recipients)))


@dataclass
class RecordingPublisher:
    """A ``publish`` function that keeps (topic, key, value) instead of producing."""

    messages: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, topic: str, key: str, value: dict[str, Any]) -> None:
        self.messages.append((topic, key, value))
