"""Publishing a batch's output is retried, with growing pauses, until it succeeds."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from footfall.processor.publishing import MOST_DELAY, publish_until_acknowledged


def test_a_failing_publish_is_retried_with_growing_pauses_until_it_succeeds() -> None:
    attempts: list[list[str]] = []
    pauses: list[float] = []
    retries: list[None] = []

    async def send_all(messages: Sequence[str]) -> None:
        attempts.append(list(messages))
        if len(attempts) <= 8:
            raise ConnectionError("broker away")

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    asyncio.run(
        publish_until_acknowledged(
            send_all, ["a", "b"], on_retry=lambda: retries.append(None), sleep=sleep
        )
    )
    assert attempts == [["a", "b"]] * 9  # the whole output each time
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, MOST_DELAY, MOST_DELAY]
    assert len(retries) == 8


def test_cancelling_stops_the_retries() -> None:
    async def send_all(messages: Sequence[str]) -> None:
        raise ConnectionError("broker away")

    async def main() -> None:
        task = asyncio.create_task(publish_until_acknowledged(send_all, ["a"]))
        await asyncio.sleep(0.05)  # failed once, now pausing
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())
