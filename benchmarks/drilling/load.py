"""The drill's traffic: :class:`footfall.devtraffic.TrafficModel` events, produced and recorded.

Every event is generated at the wall clock (its ``time`` is when the simulated visitor
acted), appended to the record (``events.jsonl``: the exact JSON produced, in the order
generated, which keeps each visitor's order) and sent keyed by visitor id with an
idempotent producer whose requests wait out a broker bounce. A send that fails anyway
is sent again (the processor recognises the event id if both copies arrive) and
counted. Visitors answer the invitations rules send them, read from
``chat-invitations``, as in ``footfall dev``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from footfall.devtraffic import TrafficModel
from footfall.devtraffic.pacing import Pacer
from footfall.devtraffic.producer import parse_invitation
from footfall.kafka_clients import make_consumer, make_producer
from footfall.settings import Settings

__all__ = ["LoadStats", "produce_load"]

log = logging.getLogger(__name__)

_REQUEST_TIMEOUT_MS = 300_000  # longer than any broker bounce the drill makes


@dataclass(slots=True)
class LoadStats:
    """What the load did."""

    sent: int = 0
    resent: int = 0
    invitations_seen: int = 0
    invitations_answered: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0


async def produce_load(
    settings: Settings,
    model: TrafficModel,
    *,
    rate: float,
    count: int,
    record: Path,
    stats: LoadStats,
) -> LoadStats:
    """Produce ``count`` events at ``rate``/s, recording each in ``record`` (JSON lines)."""
    producer = make_producer(settings, request_timeout_ms=_REQUEST_TIMEOUT_MS)
    await producer.start()
    answers = asyncio.create_task(_answer_invitations(settings, model, stats))
    pacer = Pacer(rate, count)
    loop = asyncio.get_running_loop()
    started = loop.time()
    pending: list[tuple[asyncio.Future[Any], str, bytes, bytes]] = []
    try:
        with record.open("wb") as out:
            while not pacer.done:
                for _ in range(pacer.due(loop.time() - started)):
                    event = model.step(datetime.now(UTC))
                    key, value = event.key.encode(), orjson.dumps(event.value)
                    topic = settings.topic(event.topic)
                    _write(out, value)
                    future = await producer.send(topic, value, key=key)
                    pending.append((future, topic, key, value))
                    stats.sent += 1
                    kind = str(event.value.get("type"))
                    stats.by_type[kind] = stats.by_type.get(kind, 0) + 1
                if len(pending) >= 200:
                    pending = await _settle(producer, pending, stats)
                await asyncio.sleep(max(0.0, min(pacer.delay(loop.time() - started), 0.2)))
            while pending:
                pending = await _settle(producer, pending, stats, wait=True)
        stats.elapsed = loop.time() - started
    finally:
        answers.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await answers
        await producer.stop()
    return stats


def _write(out: IO[bytes], value: bytes) -> None:
    out.write(value + b"\n")


async def _settle(
    producer: Any,
    pending: list[tuple[asyncio.Future[Any], str, bytes, bytes]],
    stats: LoadStats,
    *,
    wait: bool = False,
) -> list[tuple[asyncio.Future[Any], str, bytes, bytes]]:
    """Drop acknowledged sends, send failed ones again; what is still in flight."""
    if wait:
        await asyncio.wait([item[0] for item in pending])
    kept: list[tuple[asyncio.Future[Any], str, bytes, bytes]] = []
    for future, topic, key, value in pending:
        if not future.done():
            kept.append((future, topic, key, value))
        elif future.exception() is not None:
            log.warning("send failed (%r); sending again", future.exception())
            stats.resent += 1
            kept.append((await producer.send(topic, value, key=key), topic, key, value))
    return kept


async def _answer_invitations(settings: Settings, model: TrafficModel, stats: LoadStats) -> None:
    consumer = make_consumer(
        settings, settings.topic("chat-invitations"), auto_offset_reset="latest"
    )
    await consumer.start()
    try:
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=500)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("reading chat invitations failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            for records in batches.values():
                for message in records:
                    found = parse_invitation(message.key, message.value)
                    if found is None:
                        continue
                    stats.invitations_seen += 1
                    if model.invitation_received(
                        found["visitor_id"],
                        found["invitation_id"],
                        agent=found.get("agent"),
                        department=found.get("department"),
                    ):
                        stats.invitations_answered += 1
    finally:
        await consumer.stop()
