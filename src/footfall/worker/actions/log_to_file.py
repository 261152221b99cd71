"""``log_to_file``: append one line to a file inside ``FOOTFALL_LOG_DIR`` (SPEC §5).

The line is ``params.line`` (line breaks turned into spaces) or, without it, the whole
command as one JSON line. The write runs in a thread and is given ``WRITE_TIMEOUT``
seconds: a file system that hangs makes the attempt fail (and be retried) instead of
holding the command for ever.
"""

from __future__ import annotations

import asyncio

import orjson

from footfall.worker.command import Command
from footfall.worker.context import ActionContext
from footfall.worker.errors import BadCommandError, TransientActionError
from footfall.worker.logfiles import LOCK_TIMEOUT, append_line, check_relative_path, one_line

__all__ = ["WRITE_TIMEOUT", "execute"]

#: seconds one write may take, waiting for another writer's lock included
WRITE_TIMEOUT = LOCK_TIMEOUT + 5.0


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
    try:
        async with asyncio.timeout(WRITE_TIMEOUT):
            await asyncio.to_thread(append_line, ctx.settings.log_dir, file, text)
    except TimeoutError:
        raise TransientActionError(
            f"log_to_file: writing {file!r} took longer than {WRITE_TIMEOUT:g}s"
        ) from None
