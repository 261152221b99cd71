"""Ticks that were missed, and ticks that must wait: a partition's tick bookkeeping.

Two things can make the live system run fewer ticks than ``footfall simulate``, which
runs every aligned tick between events:

- **missed ticks**: no tick is sent while the broker is away, while the group has no
  leader (the leader was killed), or when a tick waiting in memory is lost with its
  processor. So each partition keeps the time of the last tick it ran in its own table
  (a *tick mark*, recovered with the table), and a tick at ``T`` first runs the aligned
  ticks between the mark and ``T`` (at most :func:`catch_up_limit` of them: older ones
  could only end sessions that the first tick run ends anyway);
- **ticks overtaking events**: ticks have a topic of their own, read beside the event
  topics, so after a fault a partition's tick can be read before events older than it
  that still wait in Kafka. A tick is held while its partition is behind on any event
  topic (see :class:`HeldTicks`), up to :data:`MAX_HOLD` seconds after it was sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import orjson

from footfall.events.parsing import MAX_VISITOR_ID_LENGTH
from footfall.processor.partitioning import partition_for
from footfall.processor.ticks import Tick

__all__ = [
    "MAX_HOLD",
    "HeldTicks",
    "catch_up_limit",
    "catch_up_times",
    "decode_mark",
    "encode_mark",
    "is_mark_key",
    "mark_key",
]

#: The longest a tick waits for its partition's events (then it runs anyway: under a
#: sustained overload ticks must still end idle sessions).
MAX_HOLD = 30.0

#: Tick marks live in the visitor table under keys no visitor id can have (longer than
#: the longest visitor id), one per partition.
_MARK_PREFIX = "\x00ticks\x00" + "-" * MAX_VISITOR_ID_LENGTH
_keys: dict[tuple[int, int], str] = {}


def mark_key(partition: int, partitions: int) -> str:
    """The table key of ``partition``'s tick mark: a key that Kafka's partitioner puts
    on that partition, so the mark is recovered by whoever owns the partition."""
    key = _keys.get((partition, partitions))
    if key is None:
        n = 0
        while partition_for(f"{_MARK_PREFIX}{n}".encode(), partitions) != partition:
            n += 1
        key = _keys[(partition, partitions)] = f"{_MARK_PREFIX}{n}"
    return key


def is_mark_key(key: str) -> bool:
    return key.startswith(_MARK_PREFIX)


def encode_mark(tick_time: float) -> bytes:
    return orjson.dumps({"last_tick": tick_time})


def decode_mark(data: bytes | None) -> float | None:
    """The tick time of a stored mark; None for no mark or an unreadable one."""
    if data is None:
        return None
    try:
        value = orjson.loads(data).get("last_tick")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def catch_up_limit(interval: float, idle_timeout: float, invitation_timeout: float) -> int:
    """How many missed ticks a partition runs at most: those of one idle timeout plus one
    invitation timeout (an idle rule's window, an unanswered invitation's deadline)."""
    return math.ceil((idle_timeout + invitation_timeout) / interval) + 1


def catch_up_times(last: float | None, now: float, interval: float, limit: int) -> list[float]:
    """The aligned tick times after ``last`` and before ``now`` (both tick times), the
    latest ``limit`` of them, oldest first; none when ``last`` is unknown."""
    if last is None or now - last <= interval:
        return []
    count = round((now - last) / interval) - 1
    first = max(1, count - limit + 1)
    return [last + k * interval for k in range(first, count + 1) if last + k * interval < now]


@dataclass
class HeldTicks:
    """Ticks read while their partition was behind on its event topics, oldest first."""

    by_partition: dict[int, list[Tick]] = field(default_factory=dict)

    def hold(self, partition: int, tick: Tick) -> None:
        self.by_partition.setdefault(partition, []).append(tick)

    def holding(self, partition: int) -> bool:
        return bool(self.by_partition.get(partition))

    def release(self, partition: int) -> list[Tick]:
        return self.by_partition.pop(partition, [])

    def partitions(self) -> list[int]:
        return sorted(self.by_partition)

    def drop(self, partition: int) -> None:
        self.by_partition.pop(partition, None)
