"""``send_live_chat_invitation``: an invitation for the chat widget (SPEC §5).

Publishes the invitation to ``chat-invitations`` and a ``chat_invited`` event to
``chat-events``, both keyed by visitor id, with ``invitation_id =
derive_id(command_id, "invitation")``, ``source: "rule:<rule id>"`` and ``caused_by``.
The event's ``event_id`` is ``derive_id(command_id, "chat_invited")``, so a repeated
command yields the same event, which the processor drops as a duplicate.
"""

from __future__ import annotations

from typing import Any

from footfall.worker.actions.params import iso_time, optional_text
from footfall.worker.command import Command
from footfall.worker.context import ActionContext

__all__ = ["execute"]


async def execute(command: Command, ctx: ActionContext) -> None:
    params = command.params
    common: dict[str, Any] = {
        "visitor_id": command.visitor_id,
        "time": iso_time(ctx.clock()),
        "invitation_id": command.derived_id("invitation"),
        "source": f"rule:{command.rule_id}",
        "caused_by": command.caused_by(),
        "message": optional_text(params, "message"),
    }
    for key in ("department", "agent"):
        value = optional_text(params, key)
        if value:
            common[key] = value
    invitation = {"type": "chat_invitation", "command_id": command.command_id, **common}
    event = {"type": "chat_invited", "event_id": command.derived_id("chat_invited"), **common}
    await ctx.publish("chat-invitations", command.visitor_id, invitation)
    await ctx.publish("chat-events", command.visitor_id, event)
