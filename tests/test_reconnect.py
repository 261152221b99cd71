"""Starting while the broker is away: try again with growing pauses, undo each try."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from footfall.reconnect import broker_unreachable, start_when_reachable


class Attempts:
    """Fails the first ``failures`` tries with ``error``, records tries and undos."""

    def __init__(self, failures: int, error: BaseException) -> None:
        self.failures = failures
        self.error = error
        self.tries = 0
        self.undos = 0
        self.reasons: list[str | None] = []

    async def attempt(self) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise self.error

    async def undo(self) -> None:
        self.undos += 1


async def test_tries_again_until_the_broker_answers_with_doubling_pauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("footfall.reconnect.asyncio.sleep", sleep)
    attempts = Attempts(6, KafkaConnectionError("Unable to bootstrap from [('h', 1, 2)]"))
    await start_when_reachable(
        attempts.attempt,
        attempts.undo,
        what="the test",
        broker="h:1",
        on_unreachable=attempts.reasons.append,
        first_pause=1.0,
        longest_pause=8.0,
    )
    assert attempts.tries == 7
    assert attempts.undos == 6
    assert pauses == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert attempts.reasons == ["no connection"] * 6 + [None]


async def test_an_error_trying_again_cannot_cure_ends_the_start_after_undoing() -> None:
    attempts = Attempts(1, TopicAuthorizationFailedError())
    with pytest.raises(TopicAuthorizationFailedError):
        await start_when_reachable(attempts.attempt, attempts.undo, what="t", broker="h:1")
    assert (attempts.tries, attempts.undos) == (1, 1)


async def test_a_cancellation_nobody_asked_for_is_a_start_interrupted_by_the_broker() -> None:
    attempts = Attempts(2, asyncio.CancelledError())
    await start_when_reachable(
        attempts.attempt, attempts.undo, what="t", broker="h:1", first_pause=0.0
    )
    assert (attempts.tries, attempts.undos) == (3, 2)


async def test_a_stop_while_waiting_cancels_the_start() -> None:
    attempts = Attempts(10**6, KafkaConnectionError("down"))
    task = asyncio.create_task(
        start_when_reachable(
            attempts.attempt, attempts.undo, what="t", broker="h:1", first_pause=0.01
        )
    )
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert attempts.tries >= 2


def test_what_counts_as_an_unreachable_broker() -> None:
    assert broker_unreachable(KafkaConnectionError("x"))
    assert broker_unreachable(ConnectionRefusedError())
    assert broker_unreachable(TimeoutError())
    assert broker_unreachable(socket.gaierror(-2, "Name or service not known"))
    assert not broker_unreachable(FileNotFoundError(2, "No such file or directory"))
    assert not broker_unreachable(PermissionError(13, "Permission denied"))
    assert not broker_unreachable(TopicAuthorizationFailedError())
    assert not broker_unreachable(ValueError("bad"))
