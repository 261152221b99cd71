"""Pacing events at a rate: how many are due after a while, and virtual timestamps."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta

__all__ = ["Pacer", "virtual_times"]


class Pacer:
    """Counts the events due at ``rate`` per second, optionally up to ``count`` in all.

    The first event is due at once, the n-th at ``(n - 1) / rate`` seconds. A caller that
    fell behind gets the missed events at once, but never more than ``burst`` per call.
    """

    def __init__(self, rate: float, count: int | None = None, *, burst: int = 1000) -> None:
        if not rate > 0:
            raise ValueError("rate must be more than 0 events per second")
        if count is not None and count < 0:
            raise ValueError("count cannot be negative")
        self.rate = rate
        self.count = count
        self.burst = burst
        self.sent = 0

    @property
    def done(self) -> bool:
        return self.count is not None and self.sent >= self.count

    def due(self, elapsed: float) -> int:
        """How many events to send now, ``elapsed`` seconds after the start; counts them sent."""
        target = math.floor(max(0.0, elapsed) * self.rate + 1e-9) + 1
        if self.count is not None:
            target = min(target, self.count)
        n = max(0, min(target - self.sent, self.burst))
        self.sent += n
        return n

    def delay(self, elapsed: float) -> float:
        """Seconds from ``elapsed`` until the next event is due (0 when one is due now)."""
        return max(0.0, self.sent / self.rate - elapsed)


def virtual_times(start: datetime, rate: float, count: int) -> Iterator[datetime]:
    """``count`` timestamps ``1 / rate`` seconds apart from ``start`` (for printed traffic)."""
    if not rate > 0:
        raise ValueError("rate must be more than 0 events per second")
    for n in range(count):
        yield start + timedelta(seconds=n / rate)
