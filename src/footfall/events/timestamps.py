"""RFC 3339 timestamps: parsing (an offset is required) and formatting in UTC.

:func:`parse_time` reads any time RFC 3339 can write; :func:`parse_event_time` also
keeps an event's time inside the range footfall accepts, :data:`EARLIEST` (included) to
:data:`LATEST` (excluded): 2000-01-01 to 2200-01-01 UTC. The range is fixed (not relative
to the wall clock or to earlier events), so the processor, ``footfall simulate`` and a
replay of dead letters give every message the same verdict. Inside it, local times of
every time zone, timeouts and windows stay far from the limits of ``datetime`` and of
floating-point seconds; outside it lie only clocks gone wrong (the zero time
``0001-01-01T00:00:00Z`` some trackers send, a year typed wrongly).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import NoReturn

from footfall.events.errors import EventError

__all__ = ["EARLIEST", "LATEST", "format_time", "parse_event_time", "parse_time"]

#: The first instant an event may carry: 2000-01-01T00:00:00Z (epoch seconds).
EARLIEST = 946_684_800.0
#: The first instant after the range events may carry: 2200-01-01T00:00:00Z.
LATEST = 7_258_118_400.0

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


#: "YYYY-MM-DDTHH:MM:" -> its epoch seconds, for the times written in full
_MINUTES: dict[str, int] = {}
_MAX_MINUTES = 65_536


def parse_time(text: object, field: str = "time") -> float:
    """Return the epoch seconds of an RFC 3339 timestamp such as ``2026-03-02T08:00:00Z``.

    Timestamps without an offset (``Z`` or ``+01:00``) are rejected: their meaning would
    depend on where they are read.
    """
    if not isinstance(text, str):
        raise EventError(
            "wrong_type",
            f"{field}: expected an RFC 3339 timestamp string such as "
            f"'2026-03-02T08:00:00Z', got {type(text).__name__}",
            field,
        )
    if len(text) == 24 and text[23] == "Z" and text[19] == ".":
        # the form commands and most trackers write (``...T08:00:00.250Z``): the first 17
        # characters name a minute already parsed in full below, the rest is checked here
        start = _MINUTES.get(text[:17])
        if start is not None:
            ss, millis = text[17:19], text[20:23]
            if ss.isdecimal() and millis.isdecimal() and ss < "60":
                return float(start + int(ss)) + int(millis) / 1000
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise EventError(
            "bad_time",
            f"{field}: {text[:64]!r} is not an RFC 3339 timestamp with an offset; "
            "write e.g. '2026-03-02T08:00:00Z' or '2026-03-02T09:00:00+01:00'",
            field,
        )
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = m.groups()
    h, mi, sec = int(hour), int(minute), int(second)
    offset = 0 if zulu else (1 if sign == "+" else -1) * (int(oh) * 60 + int(om))
    days = _epoch_day(int(year), int(month), int(day))
    if days is None or h > 23 or mi > 59 or sec > 59 or not -1440 < offset < 1440:
        _reject(text, field, year, month, day, hour, minute, second, zulu, sign, oh, om)
    # what (datetime(...) - epoch).total_seconds() gives, without building either
    start = days * 86400 + h * 3600 + mi * 60 - offset * 60  # of the minute
    if zulu == "Z" and len(text) == 24:
        if len(_MINUTES) >= _MAX_MINUTES:
            _MINUTES.clear()
        _MINUTES[text[:17]] = start
    seconds = float(start + sec)
    if frac:
        seconds += int(frac) / 10 ** len(frac)
    return seconds


def parse_event_time(text: object, field: str = "time") -> float:
    """:func:`parse_time`, for a time footfall accepts on an event or control message:
    from 2000-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z."""
    seconds = parse_time(text, field)
    if not EARLIEST <= seconds < LATEST:
        assert isinstance(text, str)  # parse_time took it
        when = (
            "before 2000-01-01T00:00:00Z" if seconds < EARLIEST else "2200-01-01T00:00:00Z or later"
        )
        raise EventError(
            "bad_time",
            f"{field}: {text[:64]!r} is {when}; footfall accepts times from 2000-01-01 "
            "up to 2200-01-01 (UTC): check the sender's clock",
            field,
        )
    return seconds


_DAYS_BEFORE_MONTH = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


def _epoch_day(year: int, month: int, day: int) -> int | None:
    """Days from 1970-01-01 to a date of the proleptic Gregorian calendar (as
    ``date.toordinal``); None when the date does not exist."""
    if year < 1 or not 1 <= month <= 12 or day < 1:
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day > _DAYS_IN_MONTH[month] + (month == 2 and leap):
        return None
    y = year - 1
    before = _DAYS_BEFORE_MONTH[month] + (month > 2 and leap)
    return y * 365 + y // 4 - y // 100 + y // 400 + before + day - _EPOCH_ORDINAL


def _reject(
    text: str,
    field: str,
    year: str,
    month: str,
    day: str,
    hour: str,
    minute: str,
    second: str,
    zulu: str | None,
    sign: str | None,
    oh: str | None,
    om: str | None,
) -> NoReturn:
    """Raise the error ``datetime`` gives for fields out of range (its message names it)."""
    try:
        offset = (
            UTC
            if zulu
            else timezone(
                (1 if sign == "+" else -1) * timedelta(hours=int(oh or 0), minutes=int(om or 0))
            )
        )
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), 0, offset)
    except ValueError as exc:
        raise EventError("bad_time", f"{field}: {text[:64]!r}: {exc}", field) from None
    raise AssertionError(f"{text!r} is a valid time")  # pragma: no cover - checked above


#: epoch -> its text, and "YYYY-MM-DDTHH:MM:" per minute since the epoch: commands,
#: ticks and fed-back events format the same instants, and the same minutes, again
_TEXTS: dict[float, str] = {}
_MINUTE_TEXTS: dict[int, str] = {}
_MAX_TEXTS = 65_536


def format_time(epoch: float) -> str:
    """Format epoch seconds as RFC 3339 in UTC with milliseconds: ``2026-03-02T08:00:00.000Z``."""
    text = _TEXTS.get(epoch)
    if text is not None:
        return text
    millis = round(epoch * 1000)
    seconds, ms = divmod(millis, 1000)
    minute, second = divmod(seconds, 60)
    head = _MINUTE_TEXTS.get(minute)
    if head is None:
        t = time.gmtime(minute * 60)
        head = "%04d-%02d-%02dT%02d:%02d:" % (  # noqa: UP031 - fastest here
            t.tm_year,
            t.tm_mon,
            t.tm_mday,
            t.tm_hour,
            t.tm_min,
        )
        if len(_MINUTE_TEXTS) >= _MAX_TEXTS:
            _MINUTE_TEXTS.clear()
        _MINUTE_TEXTS[minute] = head
    text = "%s%02d.%03dZ" % (head, second, ms)  # noqa: UP031 - fastest here
    if len(_TEXTS) >= _MAX_TEXTS:
        _TEXTS.clear()
    _TEXTS[epoch] = text
    return text
