"""The events an executed command feeds back into the system (SPEC §5).

In the live system the workers publish them; ``footfall simulate`` feeds these straight
back. The ids are derived the same way in both (``derive_id``, as the workers'
``footfall.worker.command.derive_id``), so the commands they trigger in turn get the
same ids.

* ``send_live_chat_invitation`` -> a ``chat_invited`` event with ``invitation_id`` =
  ``derive_id(command_id, "invitation")``, ``event_id`` =
  ``derive_id(command_id, "chat_invited")`` and ``source: "rule:<id>"``;
* ``remove_from_list`` / ``purge_from_list`` -> a ``remove`` / ``purge`` control message
  with ``event_id`` = ``derive_id(command_id, "control")``.

All carry ``caused_by: {rule_id: <the command's rule>, depth: <command depth> + 1}``.
Here they carry the command's firing time; workers stamp the time they execute it.
"""

from __future__ import annotations

import hashlib

from footfall.engine.commands import Command
from footfall.events import CausedBy, Control, Event, parse_time

__all__ = ["derive_id", "feedback_for", "produces_feedback"]

_CONTROL_OF = {"remove_from_list": "remove", "purge_from_list": "purge"}


def derive_id(command_id: str, purpose: str) -> str:
    """A deterministic id for something a command causes: the first 32 hex digits of
    ``sha256("<purpose>:<command id>")``. Purposes: ``invitation``, ``chat_invited``,
    ``control`` (the same derivation as the workers')."""
    return hashlib.sha256(f"{purpose}:{command_id}".encode()).hexdigest()[:32]


def produces_feedback(kind: str) -> bool:
    """Whether commands of this action kind feed an event back."""
    return kind == "send_live_chat_invitation" or kind in _CONTROL_OF


def feedback_for(command: Command) -> Event | Control | None:
    """The event or control message ``command`` produces once executed, if any."""
    kind = command.action_kind
    if kind != "send_live_chat_invitation" and kind not in _CONTROL_OF:  # produces_feedback
        return None
    depth = (0 if command.caused_by is None else command.caused_by.depth) + 1
    caused_by = CausedBy(command.rule.id, depth)
    time = parse_time(command.fired_at, "fired_at")
    if kind == "send_live_chat_invitation":
        event_id = derive_id(command.command_id, "chat_invited")
        params = command.params
        agent = params.get("agent")
        department = params.get("department")
        return Event(
            type="chat_invited",
            visitor_id=command.visitor_id,
            time=time,
            identity=event_id,
            event_id=event_id,
            invitation_id=derive_id(command.command_id, "invitation"),
            agent=agent if isinstance(agent, str) and agent else None,
            department=department if isinstance(department, str) and department else None,
            source=f"rule:{command.rule.id}",
            caused_by=caused_by,
        )
    control = _CONTROL_OF[kind]
    event_id = derive_id(command.command_id, "control")
    return Control(
        type=control,
        visitor_id=command.visitor_id,
        time=time,
        identity=event_id,
        event_id=event_id,
        caused_by=caused_by,
    )
