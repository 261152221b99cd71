"""``remove_from_list``: publishes ``remove`` to ``control`` (SPEC §5)."""

from __future__ import annotations

from footfall.worker.actions.control import publish_control
from footfall.worker.command import Command
from footfall.worker.context import ActionContext

__all__ = ["execute"]


async def execute(command: Command, ctx: ActionContext) -> None:
    await publish_control("remove", command, ctx)
