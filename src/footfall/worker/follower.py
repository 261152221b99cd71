"""Read a compacted topic whole at start, then follow it live (profiles, providers, done ids).

A plain aiokafka consumer with no group: it is assigned every partition, seeks to the
beginning and hands each record to a callback. ``caught_up`` is set once the end offsets
seen at start have been reached (readiness).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import TopicPartition

from footfall.kafka_clients import make_consumer
from footfall.settings import Settings

__all__ = ["CompactedFollower"]

log = logging.getLogger(__name__)

RecordHandler = Callable[[bytes | None, bytes | None], None]


class CompactedFollower:
    """Follows one topic from its beginning, calling ``handle(key, value)`` per record."""

    def __init__(
        self,
        settings: Settings,
        topic: str,
        handle: RecordHandler,
        *,
        lookback: float | None = None,
    ) -> None:
        """``lookback``: start that many seconds back instead of at the beginning."""
        self._settings = settings
        self.topic = topic
        self._handle = handle
        self._lookback = lookback
        self.caught_up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._consumer: Any = None

    async def start(self) -> None:
        # no group: the consumer is assigned every partition and starts at the beginning
        self._consumer = make_consumer(
            self._settings,
            self.topic,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
        )
        await self._consumer.start()
        tps = await self._wait_for_assignment()
        if self._lookback is not None:
            await self._seek_back(tps, self._lookback)
        ends: dict[TopicPartition, int] = await self._consumer.end_offsets(tps)
        starts = {tp: await self._consumer.position(tp) for tp in tps}
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

    async def _wait_for_assignment(self) -> list[TopicPartition]:
        for _ in range(300):
            assigned = list(self._consumer.assignment())
            if assigned:
                return assigned
            await asyncio.sleep(0.1)
        await self._consumer.stop()
        raise RuntimeError(f"topic {self.topic} does not exist (run the topic setup first)")

    async def _run(self) -> None:
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=500)
            except Exception:  # the broker may be away for a while; keep following
                log.exception("reading %s failed; retrying", self.topic)
                await asyncio.sleep(1.0)
                continue
            for tp, records in batches.items():
                for record in records:
                    try:
                        self._handle(record.key, record.value)
                    except Exception:  # one bad record never stops the follower
                        log.exception("bad record on %s at %s", self.topic, record.offset)
                    end = self._remaining.get(tp)
                    if end is not None and record.offset + 1 >= end:
                        del self._remaining[tp]
            if not self.caught_up.is_set():
                await self._check_positions()

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
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("follower of %s failed", self.topic)
        if self._consumer is not None:
            await self._consumer.stop()
