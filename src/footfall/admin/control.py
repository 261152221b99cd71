"""Publishing ``remove``/``purge`` control messages (SPEC §1 ``control``)."""

from __future__ import annotations

import time as _time
import uuid

from footfall.events import CONTROL_TYPES, Control, encode
from footfall.kafka_clients import make_producer
from footfall.settings import Settings

__all__ = ["control_message", "send_control"]


def control_message(kind: str, visitor_id: str, at: float, *, origin: str = "admin") -> Control:
    """A control message an administrator issues, with a fresh ``event_id``.

    The id is ``<origin>:<uuid>`` so that two removals of the same visitor are two
    distinct triggers (and a retried publish of the same message is one).
    """
    if kind not in CONTROL_TYPES:
        raise ValueError(f"control type must be one of {sorted(CONTROL_TYPES)}, not {kind!r}")
    if not 1 <= len(visitor_id) <= 128:
        raise ValueError("visitor id must be 1 to 128 characters")
    event_id = f"{origin}:{uuid.uuid4().hex}"
    return Control(type=kind, visitor_id=visitor_id, time=at, identity=event_id, event_id=event_id)


async def send_control(
    settings: Settings, kind: str, visitor_id: str, *, origin: str = "admin"
) -> Control:
    """Publish one control message keyed by visitor id and wait for the broker's ack."""
    message = control_message(kind, visitor_id, _time.time(), origin=origin)
    producer = make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.topic("control"), encode(message), key=visitor_id.encode()
        )
    finally:
        await producer.stop()
    return message
