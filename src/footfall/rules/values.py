"""Parsing the literal values rules compare against: strings, numbers, times, days, dates, IPs.

Each parser returns the parsed value or raises :class:`ValueProblem` with a message a user
can act on (including hints for YAML's surprising conversions, e.g. unquoted ``17:30``
becoming the number 1050, or ``NO`` becoming ``false``).
"""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import date, datetime
from functools import lru_cache

from footfall.durations import parse_duration
from footfall.errors import DurationError
from footfall.rules._report import show

__all__ = [
    "DAYS",
    "IPAddress",
    "IPNetwork",
    "ValueProblem",
    "fact_ip",
    "parse_cidr",
    "parse_datetime",
    "parse_day",
    "parse_finite_duration",
    "parse_ip",
    "parse_number",
    "parse_positive_duration",
    "parse_string",
    "parse_time",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES = {d: i for i, d in enumerate(DAYS)} | {d: i for i, d in enumerate(_FULL_DAYS)}
_EXAMPLE = "'2026-03-01T09:00:00Z'"
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


class ValueProblem(ValueError):
    """A literal value in a rule is not what its place requires."""


def _yaml_hint(value: object) -> str:
    if isinstance(value, bool):
        return " (YAML reads unquoted yes/no/on/off as booleans: quote it)"
    if isinstance(value, date):
        return " (quote it in YAML)"
    return ""


def parse_string(value: object, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueProblem(f"expected a string, got {show(value)}{_yaml_hint(value)}")
    if not value and not allow_empty:
        raise ValueProblem("expected a non-empty string")
    return value


def parse_number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueProblem(f"expected a number, got {show(value)}{_yaml_hint(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueProblem(f"expected a finite number, got {show(value)}")
    return number


def parse_time(value: object) -> int:
    """``"HH:MM"`` -> minute of the day."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1440 * 60:
        # YAML 1.1 reads unquoted 17:30 as the sexagesimal number 1050.
        hint = (
            f" (YAML read an unquoted time as a number: write '{value // 60:02d}:{value % 60:02d}')"
        )
        raise ValueProblem(f"expected a time 'HH:MM', got {show(value)}{hint}")
    if not isinstance(value, str) or not (m := _TIME.fullmatch(value.strip())):
        raise ValueProblem(f"expected a time 'HH:MM' (00:00 to 23:59), got {show(value)}")
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_day(value: object) -> int:
    """``"mon"``..``"sun"`` (any case; full names such as ``monday`` too) -> 0..6."""
    if isinstance(value, str):
        index = _DAY_NAMES.get(value.strip().lower())
        if index is not None:
            return index
    raise ValueProblem(f"expected a day mon, tue, wed, thu, fri, sat or sun, got {show(value)}")


def parse_datetime(value: object) -> float:
    """An RFC 3339 timestamp with offset -> epoch seconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueProblem(
                f"a date-time needs a UTC offset, e.g. {_EXAMPLE}, got {show(str(value))}"
            )
        return value.timestamp()
    if isinstance(value, date):
        raise ValueProblem(
            f"expected an RFC 3339 date-time with offset such as {_EXAMPLE}, "
            f"got the date {value.isoformat()}"
        )
    if not isinstance(value, str) or not _RFC3339.fullmatch(value.strip()):
        raise ValueProblem(
            f"expected an RFC 3339 date-time with offset such as {_EXAMPLE}, got {show(value)}"
        )
    try:
        return datetime.fromisoformat(value.strip().replace("z", "Z")).timestamp()
    except (ValueError, OverflowError):
        raise ValueProblem(f"not a valid date-time: {show(value)}") from None


def parse_ip(value: object) -> IPAddress:
    if not isinstance(value, str):
        raise ValueProblem(f"expected an IP address, got {show(value)}")
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        raise ValueProblem(f"not an IPv4 or IPv6 address: {show(value)}") from None


def parse_cidr(value: object) -> IPNetwork:
    if not isinstance(value, str):
        raise ValueProblem(f"expected a CIDR block such as '10.0.0.0/8', got {show(value)}")
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError:
        pass
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValueProblem(
            f"not a CIDR block: {show(value)} (e.g. '10.0.0.0/8' or '2001:db8::/32')"
        ) from None
    raise ValueProblem(f"{show(value)} has host bits set: did you mean '{net}'?")


def parse_finite_duration(value: object) -> float:
    """A duration in seconds (``0`` allowed), finite."""
    try:
        seconds = parse_duration(value)  # type: ignore[arg-type]
    except DurationError as exc:
        raise ValueProblem(str(exc)) from None
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds):
        raise ValueProblem(f"expected a finite duration, got {show(value)}")
    return seconds


def parse_positive_duration(value: object) -> float:
    """A duration in seconds, greater than zero."""
    seconds = parse_finite_duration(value)
    if seconds <= 0:
        raise ValueProblem(f"expected a duration greater than zero, got {show(value)}")
    return seconds


@lru_cache(maxsize=8192)
def fact_ip(text: str) -> IPAddress | None:
    """The visitor's IP fact parsed (cached); None when it is not an address."""
    try:
        return ipaddress.ip_address(text.strip())
    except (ValueError, AttributeError):
        return None
