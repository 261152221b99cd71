"""Publishing a batch's output: retried until Kafka has acknowledged all of it.

A batch's states are written only after its output is acknowledged (see
docs/architecture.md, "A batch"). When publishing fails (the broker away, a request
timed out, a leader moving), giving up would leave the batch half published and its
agent crashed; so the whole output is sent again after a pause that doubles up to
:data:`MOST_DELAY`, for as long as it takes, while the batch (and its partitions) wait.
Messages sent twice are duplicates with the same ids, which the rest of the system
already expects from at-least-once delivery. Records too large for Kafka never get
here: the step turns them into dead letters first (``VisitorStep``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

__all__ = ["FIRST_DELAY", "MOST_DELAY", "publish_until_acknowledged"]

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MOST_DELAY = 30.0

T = TypeVar("T")


async def publish_until_acknowledged(
    send_all: Callable[[Sequence[T]], Awaitable[None]],
    messages: Sequence[T],
    *,
    on_retry: Callable[[], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """``await send_all(messages)`` until it returns, pausing between failed attempts."""
    delay = FIRST_DELAY
    attempt = 1
    while True:
        try:
            await send_all(messages)
            return
        except Exception as exc:  # noqa: BLE001 - every failure is retried; cancelling is not
            log.warning(
                "publishing %d messages failed (attempt %d: %s: %s); retrying in %.1f s",
                len(messages),
                attempt,
                type(exc).__name__,
                exc,
                delay,
            )
        if on_retry is not None:
            on_retry()
        await sleep(delay)
        delay = min(delay * 2, MOST_DELAY)
        attempt += 1
