"""Local time of day and day of week of an instant in a time zone, cached per minute.

The rules evaluate ``time_of_day`` and ``day_of_week`` on every matching call, so the
conversion from epoch seconds to local wall time is memoised per (zone, minute): all
modern UTC offsets are whole minutes, so the local minute of day and weekday are constant
within a UTC minute.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from footfall.rules.values import DAYS

__all__ = ["LocalClock", "clock_for", "load_zone"]

_MAX_ENTRIES = 4096


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``; raise ValueError with a readable message otherwise."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as 'Europe/Berlin')"
        ) from None


class LocalClock:
    """Converts epoch seconds to (minute of day, weekday 0=Monday) in one zone."""

    __slots__ = ("_cache", "_texts", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._cache: dict[int, tuple[int, int]] = {}
        self._texts: dict[int, tuple[str, str]] = {}

    def texts(self, now: float) -> tuple[str, str]:
        """The local time of day (``HH:MM``) and day (``mon``..``sun``), as commands carry them."""
        minute = int(now // 60)
        hit = self._texts.get(minute)
        if hit is None:
            of_day, day = self.minute_and_day(now)
            hit = (f"{of_day // 60:02d}:{of_day % 60:02d}", DAYS[day])
            if len(self._texts) >= _MAX_ENTRIES:
                self._texts.clear()
            self._texts[minute] = hit
        return hit

    def minute_and_day(self, now: float) -> tuple[int, int]:
        minute = int(now // 60)
        hit = self._cache.get(minute)
        if hit is None:
            local = _local(minute * 60, self.zone)
            hit = (local.hour * 60 + local.minute, local.weekday())
            if len(self._cache) >= _MAX_ENTRIES:
                self._cache.clear()
            self._cache[minute] = hit
        return hit


#: 400 Gregorian years: 146,097 days, a whole number of weeks; dates 400 years apart
#: fall on the same weekday
_CYCLE = 146_097 * 86_400


def _local(seconds: int, zone: ZoneInfo) -> datetime:
    """The local time of epoch ``seconds`` in ``zone``; for an instant whose local time
    ``datetime`` cannot hold (outside years 1 to 9999), that of the instant a whole number
    of 400-year cycles away in 1970..2370: the same time of day and weekday (event times
    are kept far from those years, a tick time or a rule's own value is not)."""
    try:
        return datetime.fromtimestamp(seconds, zone)
    except (OverflowError, ValueError, OSError):
        return datetime.fromtimestamp(seconds % _CYCLE, zone)  # in 1970..2370


_CLOCKS: dict[str, LocalClock] = {}


def clock_for(name: str) -> LocalClock:
    """The shared clock of a (valid) zone name, so every rule in one zone shares a cache."""
    clock = _CLOCKS.get(name)
    if clock is None:
        clock = _CLOCKS[name] = LocalClock(load_zone(name))
    return clock
