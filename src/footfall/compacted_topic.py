"""Reading a compacted topic whole, then live: rules, profiles, providers, executed ids.

Every processor instance keeps the whole ``rules`` topic in memory and every worker the
``profiles`` and ``providers`` topics (and the recent part of its ``actions-done``
ledger), so this is a plain aiokafka consumer with no group: it is assigned every
partition, seeks to the beginning (or ``lookback`` seconds back) and hands each record
to a callback. ``caught_up`` is set once the end offsets seen at start have been
reached; until then the services do not consume events or commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from footfall.kafka_clients import make_consumer
from footfall.settings import Settings

__all__ = [
    "ConfigRecord",
    "ConfigTopicReader",
    "RecordHandler",
    "read_topic_to_end",
    "topic_partitions",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConfigRecord:
    """One record of a config topic: its key (text), value (``None`` deletes) and position."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes | None
    timestamp: int = -1  # Kafka record timestamp, milliseconds


RecordHandler = Callable[[ConfigRecord], None]


class ConfigTopicReader:
    """Follows one topic from its beginning, calling ``handle(record)`` per record."""

    def __init__(
        self,
        settings: Settings,
        topic: str,
        handle: RecordHandler,
        *,
        poll_ms: int = 200,
        after_batch: Callable[[], None] | None = None,
        lookback: float | None = None,
        tail: int | None = None,
    ) -> None:
        """Start at the beginning, or ``lookback`` seconds back, or ``tail`` records
        before the end of each partition."""
        self._settings = settings
        self.topic = topic
        self._handle = handle
        self._after_batch = after_batch
        self._poll_ms = poll_ms
        self._lookback = lookback
        self._tail = tail
        self.caught_up = asyncio.Event()
        self._remaining: dict[TopicPartition, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._consumer: Any = None

    async def start(self) -> None:
        self._consumer = make_consumer(
            self._settings,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self._poll_ms,
        )
        try:
            await self._consumer.start()
            partitions = await topic_partitions(self._consumer, self.topic)
            tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            self._consumer.assign(tps)
            if self._lookback is not None:
                await self._seek_back(tps, self._lookback)
            elif self._tail is not None:
                await self._seek_tail(tps, self._tail)
            else:
                await self._consumer.seek_to_beginning(*tps)
            ends: dict[TopicPartition, int] = await self._consumer.end_offsets(tps)
            starts = {tp: await self._consumer.position(tp) for tp in tps}
        except BaseException:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()
            raise
        self._remaining = {tp: end for tp, end in ends.items() if end > starts[tp]}
        if not self._remaining:
            self.caught_up.set()
        self._task = asyncio.create_task(self._run(), name=f"follow:{self.topic}")

    async def _seek_back(self, tps: list[TopicPartition], seconds: float) -> None:
        since = int((time.time() - seconds) * 1000)
        found = await self._consumer.offsets_for_times({tp: since for tp in tps})
        for tp in tps:
            hit = found.get(tp)
            if hit is None:
                await self._consumer.seek_to_end(tp)
            else:
                self._consumer.seek(tp, hit.offset)

    async def _seek_tail(self, tps: list[TopicPartition], count: int) -> None:
        if not tps:
            return
        starts = await self._consumer.beginning_offsets(tps)
        ends = await self._consumer.end_offsets(tps)
        for tp in tps:
            self._consumer.seek(tp, max(starts[tp], ends[tp] - count))

    async def _run(self) -> None:
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=self._poll_ms)
            except Exception:  # the broker may be away for a while; keep following
                log.exception("reading %s failed; retrying in 1s", self.topic)
                await asyncio.sleep(1.0)
                continue
            for tp, records in batches.items():
                for raw in records:
                    self._deliver(tp, raw)
            if batches and self._after_batch is not None:
                try:
                    self._after_batch()
                except Exception:
                    log.exception("applying what was read from %s failed", self.topic)
            if not self.caught_up.is_set():
                await self._check_positions()

    def _deliver(self, tp: TopicPartition, raw: Any) -> None:
        key = None if raw.key is None else raw.key.decode("utf-8", "replace")
        record = ConfigRecord(tp.topic, tp.partition, raw.offset, key, raw.value, raw.timestamp)
        try:
            self._handle(record)
        except Exception:  # one bad record never stops the reader
            log.exception("bad record on %s[%d]@%d", tp.topic, tp.partition, raw.offset)

    async def _check_positions(self) -> None:
        # compaction can leave the last offsets empty: compare positions, not records
        for tp, end in list(self._remaining.items()):
            if await self._consumer.position(tp) >= end:
                del self._remaining[tp]
        if not self._remaining:
            self.caught_up.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


async def topic_partitions(consumer: Any, topic: str) -> set[int]:
    """The partition numbers of ``topic`` (waiting up to ~5 s for a topic just created)."""
    for _ in range(50):
        cluster = await consumer._client.fetch_all_metadata()
        partitions = cluster.partitions_for_topic(topic)
        if partitions:
            return set(partitions)
        await asyncio.sleep(0.1)
    raise LookupError(f"topic {topic} does not exist (create footfall's topics first)")


async def read_topic_to_end(settings: Settings, topic: str) -> list[ConfigRecord]:
    """Every record of ``topic`` up to its end at the time of the call, in offset order.

    Wrap the call in ``asyncio.timeout`` to bound the wait.
    """
    records: list[ConfigRecord] = []
    reader = ConfigTopicReader(settings, topic, records.append)
    await reader.start()
    try:
        await reader.caught_up.wait()
    finally:
        await reader.stop()
    return records
