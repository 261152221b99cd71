"""Starting a service while the broker is away: try again with growing pauses.

A processor or worker started before its broker (a whole stack coming up at once, a
broker restart, a network partition) does not exit: :func:`start_when_reachable` undoes
the partial start, waits (1 s, doubling up to 30 s) and tries again, for as long as it
takes or until the service is asked to stop. Meanwhile the service's web server answers
``/healthz`` and a ``/readyz`` that says why it is not ready, so that a supervisor sees
a live, unready process instead of a crash loop. Errors that trying again cannot cure
(bad credentials, topics that disagree with the settings) still end the start.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

from aiokafka.errors import KafkaConnectionError, KafkaError

__all__ = ["FIRST_PAUSE", "LONGEST_PAUSE", "broker_unreachable", "start_when_reachable"]

log = logging.getLogger(__name__)

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0


def broker_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the broker could not be reached or answered too late."""
    # socket-level failures only: a missing state directory or an unreadable key file
    # is an OSError too, and waiting for the broker cannot cure it
    if isinstance(exc, KafkaConnectionError | ConnectionError | socket.gaierror | TimeoutError):
        return True
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))


def _cancelled_from_outside() -> bool:
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


def describe(exc: BaseException) -> str:
    """One line for the log (aiokafka's own messages name the hosts in socket-tuple form)."""
    if isinstance(exc, KafkaConnectionError):
        return "no connection"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


async def start_when_reachable(
    attempt: Callable[[], Awaitable[None]],
    undo: Callable[[], Awaitable[None]],
    *,
    what: str,
    broker: str,
    on_unreachable: Callable[[str | None], None] = lambda reason: None,
    first_pause: float = FIRST_PAUSE,
    longest_pause: float = LONGEST_PAUSE,
) -> None:
    """Run ``attempt`` until it succeeds; after a failure to reach the broker, ``undo``
    what it started and wait before the next try.

    ``on_unreachable(reason)`` is told each failure, and ``None`` once started. Any
    other error propagates (after ``undo``), as does cancellation.
    """
    pause = first_pause
    while True:
        try:
            await attempt()
        except (Exception, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError) and _cancelled_from_outside():
                raise  # a stop: the caller cleans up
            await undo()
            if not (isinstance(exc, asyncio.CancelledError) or broker_unreachable(exc)):
                raise
            # a CancelledError nobody asked for: a client gave up half way because the
            # broker left during the start; that is the broker being away, too
            reason = (
                "the start was interrupted"
                if isinstance(exc, asyncio.CancelledError)
                else describe(exc)
            )
            on_unreachable(reason)
            log.warning(
                "%s cannot reach the Kafka broker at %s (%s); trying again in %.0f s",
                what,
                broker,
                reason,
                pause,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest_pause)
        else:
            on_unreachable(None)
            return
