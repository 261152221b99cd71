"""How the agents cut their stream into batches (footfall.processor.faust_app.batches)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from footfall.processor.faust_app import batches


class FakeStream:
    """A stream whose events are put in by the test (what ``stream.events()`` yields)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[int] = asyncio.Queue()

    async def events(self) -> AsyncIterator[int]:
        while True:
            yield await self.queue.get()


async def test_a_lone_event_is_handed_over_at_once() -> None:
    stream = FakeStream()
    async with contextlib.aclosing(batches(stream, 100, linger=1.0, behind=1)) as batched:
        started = time.monotonic()
        stream.queue.put_nowait(1)
        first = await anext(batched)
        assert first == [1]
        assert time.monotonic() - started < 0.5  # no linger when nothing else is waiting


async def test_a_backlog_is_gathered_into_one_batch_up_to_the_limit() -> None:
    stream = FakeStream()
    for n in range(250):
        stream.queue.put_nowait(n)
    async with contextlib.aclosing(batches(stream, 100, linger=0.01)) as batched:
        sizes = [len(await anext(batched)) for _ in range(3)]
    assert sizes == [100, 100, 50]


async def test_events_arriving_while_behind_join_the_batch() -> None:
    stream = FakeStream()

    async def trickle() -> None:
        for n in range(2, 40):
            stream.queue.put_nowait(n)
            await asyncio.sleep(0.001)

    stream.queue.put_nowait(0)
    stream.queue.put_nowait(1)
    feeder = asyncio.create_task(trickle())
    async with contextlib.aclosing(batches(stream, 500, linger=0.2, behind=2)) as batched:
        batch = await anext(batched)
    await feeder
    # behind (two waiting, the threshold here), so the batch lingered and took in
    # what arrived meanwhile
    assert batch[:2] == [0, 1]
    assert len(batch) > 10
    assert batch == list(range(len(batch)))  # in order, nothing lost or repeated


async def test_a_few_waiting_events_below_the_backlog_threshold_go_at_once() -> None:
    stream = FakeStream()
    for n in range(5):
        stream.queue.put_nowait(n)
    async with contextlib.aclosing(batches(stream, 500, linger=1.0, behind=50)) as batched:
        started = time.monotonic()
        batch = await anext(batched)
        assert time.monotonic() - started < 0.5
    assert batch == [0, 1, 2, 3, 4]
