"""Durations as the rule language and the settings write them: ``30s``, ``15m``, ``1h30m``."""

from __future__ import annotations

import re

from footfall.errors import DurationError

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(text: str | int | float) -> float:
    """Return the duration in seconds.

    Accepts ``"0"``, plain numbers of seconds, and one or more ``<number><unit>`` parts
    with units ms, s, m, h, d, w (e.g. ``"1h30m"``). Raises DurationError otherwise.
    """
    if isinstance(text, bool):
        raise DurationError(f"expected a duration such as '30s', '15m' or '2h', got {text!r}")
    if isinstance(text, int | float):
        if text < 0:
            raise DurationError(f"a duration cannot be negative: {text!r}")
        return float(text)
    if not isinstance(text, str):
        raise DurationError(f"expected a duration such as '30s', '15m' or '2h', got {text!r}")
    s = text.strip().lower()
    if s == "0":
        return 0.0
    pos = 0
    total = 0.0
    for match in _PART.finditer(s):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(s) or not s:
        raise DurationError(
            f"bad duration {text!r}: use a number and a unit (ms, s, m, h, d, w), "
            "e.g. '30s' or '1h30m'"
        )
    return total


def format_duration(seconds: float) -> str:
    """Return the shortest ``1h30m``-style spelling of a whole number of seconds."""
    rest = round(seconds)
    if rest == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, rest = divmod(rest, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)
