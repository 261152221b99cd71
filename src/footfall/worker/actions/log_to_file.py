"""``log_to_file``: append one line to a file inside ``FOOTFALL_LOG_DIR`` (SPEC §5).

The line is ``params.line`` (line breaks turned into spaces) or, without it, the whole
command as one JSON line.
"""

from __future__ import annotations

import asyncio

import orjson

from footfall.worker.command import Command
from footfall.worker.context import ActionContext
from footfall.worker.errors import BadCommandError
from footfall.worker.logfiles import append_line, check_relative_path, one_line

__all__ = ["execute"]


async def execute(command: Command, ctx: ActionContext) -> None:
    params = command.params
    file = params.get("file")
    check_relative_path(file)
    assert isinstance(file, str)
    line = params.get("line")
    if line is None:
        text = orjson.dumps(command.raw).decode("utf-8") + "\n"
    elif isinstance(line, str):
        text = one_line(line)
    else:
        raise BadCommandError("params.line: expected a string")
    await asyncio.to_thread(append_line, ctx.settings.log_dir, file, text)
