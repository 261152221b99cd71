"""Reading rendered action parameters, with errors that name the parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from footfall.durations import parse_duration
from footfall.errors import DurationError
from footfall.worker.errors import BadCommandError

__all__ = ["iso_time", "optional_text", "required_text", "seconds"]

MAX_TIMEOUT = 300.0


def required_text(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise BadCommandError(f"params.{key}: expected a non-empty string")
    return value


def optional_text(params: dict[str, Any], key: str, default: str = "") -> str:
    value = params.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadCommandError(f"params.{key}: expected a string")
    return str(value)


def seconds(params: dict[str, Any], key: str, default: float) -> float:
    """A duration parameter (``10s`` or a number of seconds), capped at 5 minutes."""
    value = params.get(key)
    if value is None:
        return default
    try:
        result = parse_duration(value)
    except DurationError as exc:
        raise BadCommandError(f"params.{key}: {exc}") from None
    return min(result, MAX_TIMEOUT) if result > 0 else default


def iso_time(epoch: float) -> str:
    """RFC 3339 in UTC with milliseconds, e.g. ``2026-11-26T04:30:00.123Z``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
