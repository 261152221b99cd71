"""Helpers for tests and benchmarks of the processor against a real broker.

``fast_options()`` are Faust settings that make rebalances and commits quick on a
single-node test broker; ``produce``/``collect`` move JSON messages in and out.
"""

from __future__ import annotations

import asyncio
import contextlib
import time as _time
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from footfall.compacted_topic import topic_partitions
from footfall.kafka_clients import make_consumer, make_producer
from footfall.processor.faust_app import FaustWiring
from footfall.settings import Settings

__all__ = ["TopicCollector", "fast_options", "idle_wiring", "produce"]


def idle_wiring() -> FaustWiring:
    """Wiring that handles nothing: for building the Faust app to look at its settings and
    its consumer's bookkeeping, without a broker."""

    async def publish(_: object) -> None:
        return None

    return FaustWiring(
        publish=publish,
        visitor_batch=lambda batch: [],
        visitor_commit=lambda: None,
        throttle_batch=lambda values: [],
        throttle_commit=lambda: None,
        observe=lambda seconds: None,
        on_recovered=lambda: None,
    )


def fast_options() -> dict[str, Any]:
    """Faust settings for quick rebalances and commits on a local broker."""
    return {
        "broker_session_timeout": 6.0,
        "broker_heartbeat_interval": 0.5,
        "broker_rebalance_timeout": 20.0,
        "broker_commit_interval": 0.5,
        "table_standby_replicas": 0,
    }


async def produce(
    settings: Settings, topic: str, messages: Iterable[tuple[bytes | None, bytes | None]]
) -> None:
    """Produce ``(key, value)`` pairs to the full topic name ``topic``, in order."""
    producer = make_producer(settings)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


class TopicCollector:
    """Reads a topic from its beginning in the background, keeping every record."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self._settings = settings
        self.topic = topic
        self.records: list[Any] = []
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        from aiokafka import TopicPartition

        self._consumer = make_consumer(self._settings, group_id=None, enable_auto_commit=False)
        await self._consumer.start()
        partitions = await topic_partitions(self._consumer, self.topic)
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                self.records.extend(records)

    def values(self) -> list[Any]:
        return [orjson.loads(r.value) for r in self.records]

    async def wait_for(
        self, predicate: Callable[[list[Any]], bool], seconds: float = 60.0
    ) -> list[Any]:
        """Wait until ``predicate(values)`` holds; raise TimeoutError with what was seen."""
        deadline = _time.monotonic() + seconds
        while True:
            values = self.values()
            if predicate(values):
                return values
            if _time.monotonic() > deadline:
                raise TimeoutError(f"{self.topic}: condition not met; saw {len(values)} records")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
