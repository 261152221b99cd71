"""Ticks (SPEC §3): aligned tick times and the tick messages sent to each partition.

A tick message is ``{"time": <tick time, epoch seconds>, "sent_at": <wall clock>}`` on
the internal ``<prefix>ticks`` topic, one per partition (the partition is set
explicitly). The agent that owns that partition evaluates its online visitors at
``time``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import orjson

__all__ = ["MAX_TICK_TIME", "Tick", "decode_tick", "encode_tick", "next_tick_time", "tick_time"]

#: 2200-01-01T00:00:00Z, the end of the accepted time range of events.
MAX_TICK_TIME = 7_258_118_400.0


@dataclass(frozen=True, slots=True)
class Tick:
    time: float
    sent_at: float


def tick_time(now: float, interval: float) -> float:
    """The latest tick time at or before ``now``: a multiple of ``interval`` since the epoch."""
    return math.floor(now / interval) * interval


def next_tick_time(now: float, interval: float) -> float:
    """The first tick time strictly after ``now``."""
    return tick_time(now, interval) + interval


def encode_tick(tick: Tick) -> bytes:
    return orjson.dumps({"time": tick.time, "sent_at": tick.sent_at})


def decode_tick(data: bytes) -> Tick:
    """Decode a tick message; raises ``ValueError`` on anything else."""
    obj = orjson.loads(data)
    if not isinstance(obj, dict) or not isinstance(obj.get("time"), int | float):
        raise ValueError("a tick message is a JSON object with a numeric 'time'")
    if not 0 < obj["time"] < MAX_TICK_TIME:
        raise ValueError("a tick's 'time' is epoch seconds before 2200-01-01")
    sent_at = obj.get("sent_at")
    return Tick(float(obj["time"]), float(sent_at) if isinstance(sent_at, int | float) else 0.0)
