"""The shell around :class:`TrafficModel`: pace it and produce to Kafka, or print it.

:func:`produce_traffic` sends the model's events at ``rate`` per second to
``visitor-events`` / ``chat-events`` (keyed by visitor id) until ``duration``,
``count`` or ``stop``; with ``answer_invitations`` it also reads ``chat-invitations``
so that the simulated visitors answer the invitations rules send them.
:func:`print_traffic` writes the events as JSON lines with virtual timestamps, ready
for ``footfall simulate --events -``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import orjson

from footfall.devtraffic.model import TrafficEvent, TrafficModel
from footfall.devtraffic.pacing import Pacer, virtual_times
from footfall.kafka_clients import make_consumer, make_producer
from footfall.settings import Settings

__all__ = ["TrafficStats", "parse_invitation", "print_traffic", "produce_traffic"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TrafficStats:
    """What the generator has done so far."""

    sent: dict[str, int] = field(default_factory=dict)
    online: int = 0
    invitations_seen: int = 0
    invitations_answered: int = 0
    elapsed: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def describe(self) -> str:
        topics = ", ".join(f"{name} {n}" for name, n in sorted(self.sent.items()))
        rate = self.total / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"{self.total} events sent ({topics or 'none'}) in {self.elapsed:.0f}s "
            f"({rate:.1f}/s), {self.online} visitors online, "
            f"{self.invitations_answered}/{self.invitations_seen} rule invitations answered"
        )


def parse_invitation(key: bytes | None, value: bytes | None) -> dict[str, str] | None:
    """Visitor id, invitation id, agent and department of a ``chat-invitations`` message."""
    if not value:
        return None
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    visitor_id = data.get("visitor_id") or (key.decode("utf-8", "replace") if key else None)
    invitation_id = data.get("invitation_id")
    if not isinstance(visitor_id, str) or not isinstance(invitation_id, str):
        return None
    found = {"visitor_id": visitor_id, "invitation_id": invitation_id}
    for name in ("agent", "department"):
        if isinstance(data.get(name), str):
            found[name] = data[name]
    return found


def _encode(event: TrafficEvent) -> tuple[bytes, bytes]:
    return event.key.encode("utf-8"), orjson.dumps(event.value)


async def produce_traffic(
    settings: Settings,
    model: TrafficModel,
    *,
    rate: float,
    duration: float | None = None,
    count: int | None = None,
    answer_invitations: bool = True,
    stop: asyncio.Event | None = None,
    on_progress: Callable[[TrafficStats], None] | None = None,
    progress_every: float = 10.0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> TrafficStats:
    """Produce the model's events at ``rate``/s until ``duration`` s, ``count`` or ``stop``."""
    pacer = Pacer(rate, count)
    stats = TrafficStats()
    stop = stop or asyncio.Event()
    producer = make_producer(settings)
    await producer.start()
    invitations: asyncio.Task[None] | None = None
    if answer_invitations:
        invitations = asyncio.create_task(_answer_invitations(settings, model, stats))
    loop = asyncio.get_running_loop()
    started = loop.time()
    next_progress = progress_every
    pending: list[asyncio.Future[Any]] = []
    try:
        while not pacer.done and not stop.is_set():
            elapsed = loop.time() - started
            if duration is not None and elapsed >= duration:
                break
            for _ in range(pacer.due(elapsed)):
                event = model.step(clock())
                key, value = _encode(event)
                pending.append(await producer.send(settings.topic(event.topic), value, key=key))
                stats.sent[event.topic] = stats.sent.get(event.topic, 0) + 1
            if len(pending) >= 500:
                await asyncio.gather(*pending)
                pending.clear()
            stats.online = model.online
            stats.elapsed = elapsed
            if on_progress is not None and elapsed >= next_progress:
                on_progress(stats)
                next_progress += progress_every
            wait = min(pacer.delay(loop.time() - started), 0.5)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
        await asyncio.gather(*pending)
        stats.elapsed = loop.time() - started
    finally:
        if invitations is not None:
            invitations.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await invitations
        await producer.stop()
    return stats


async def _answer_invitations(settings: Settings, model: TrafficModel, stats: TrafficStats) -> None:
    consumer = make_consumer(
        settings, settings.topic("chat-invitations"), auto_offset_reset="latest"
    )
    await consumer.start()
    try:
        async for message in consumer:
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
    except asyncio.CancelledError:
        raise
    except Exception:  # answering invitations is optional: keep producing
        log.exception("reading chat invitations failed; visitors stop answering them")
    finally:
        await consumer.stop()


def print_traffic(
    model: TrafficModel, out: IO[bytes], *, rate: float, count: int, start: datetime
) -> int:
    """Write ``count`` events as JSON lines with virtual times ``1/rate`` s apart."""
    written = 0
    for moment in virtual_times(start, rate, count):
        out.write(orjson.dumps(model.step(moment).value) + b"\n")
        written += 1
    return written


def default_start() -> datetime:
    """The start of printed traffic when none is given: the current minute."""
    now = datetime.now(UTC)
    return now - timedelta(seconds=now.second, microseconds=now.microsecond)
