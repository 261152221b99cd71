"""Publishing ``remove``/``purge`` to the ``control`` topic, keyed by visitor id.

The message carries ``event_id = derive_id(command_id, "control")`` so that the
commands the processor derives from it have deterministic ids (SPEC §7).
"""

from __future__ import annotations

from footfall.worker.actions.params import iso_time
from footfall.worker.command import Command
from footfall.worker.context import ActionContext

__all__ = ["publish_control"]


async def publish_control(kind: str, command: Command, ctx: ActionContext) -> None:
    await ctx.publish(
        "control",
        command.visitor_id,
        {
            "type": kind,
            "visitor_id": command.visitor_id,
            "time": iso_time(ctx.clock()),
            "event_id": command.derived_id("control"),
            "caused_by": command.caused_by(),
        },
    )
