"""RFC 3339 timestamps: parsing (an offset is required) and formatting in UTC."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from footfall.events.errors import EventError

__all__ = ["format_time", "parse_time"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise EventError(
            "bad_time",
            f"{field}: {text[:64]!r} is not an RFC 3339 timestamp with an offset; "
            "write e.g. '2026-03-02T08:00:00Z' or '2026-03-02T09:00:00+01:00'",
            field,
        )
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = m.groups()
    try:
        offset = (
            UTC
            if zulu
            else timezone((1 if sign == "+" else -1) * timedelta(hours=int(oh), minutes=int(om)))
        )
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), 0, offset
        )
    except ValueError as exc:
        raise EventError("bad_time", f"{field}: {text[:64]!r}: {exc}", field) from None
    seconds = (moment - _EPOCH).total_seconds()
    if frac:
        seconds += int(frac) / 10 ** len(frac)
    return seconds


@lru_cache(maxsize=65536)
def format_time(epoch: float) -> str:
    """Format epoch seconds as RFC 3339 in UTC with milliseconds: ``2026-03-02T08:00:00.000Z``."""
    millis = round(epoch * 1000)
    seconds, ms = divmod(millis, 1000)
    t = time.gmtime(seconds)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - fastest here
        t.tm_year,
        t.tm_mon,
        t.tm_mday,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
        ms,
    )
