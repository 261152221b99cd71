"""Retry scheduling and the envelope carried on the internal ``<prefix>actions-retry`` topic.

A transiently failed command is republished to the retry topic with the number of
attempts made and the time it is due; workers consume that topic in the same group as
``actions`` and hold each message (without holding a concurrency slot or blocking the
partition's other messages) until it is due. The delay before attempt ``n + 1`` is
``schedule[n - 1]`` (``FOOTFALL_RETRY_SCHEDULE``, default ``5s,5m,30m,2h,5h``) with ±20 %
jitter; a peer's ``Retry-After`` is honoured as a minimum, capped at the longest step.
When the schedule is used up the command goes to dead-letters.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import orjson

__all__ = ["RetryEnvelope", "RetryPolicy", "parse_retry_after"]

JITTER = 0.2


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a command again after ``attempts`` failed attempts."""

    schedule: tuple[float, ...]
    jitter: float = JITTER

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1

    def delay(
        self,
        attempts: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when retries are exhausted."""
        if attempts < 1 or attempts > len(self.schedule):
            return None
        base = self.schedule[attempts - 1]
        delay = base * (1.0 + self.jitter * (2.0 * rand() - 1.0))
        if retry_after is not None and retry_after > 0:
            ceiling = max(self.schedule)
            delay = max(delay, min(retry_after, ceiling))
        return max(delay, 0.0)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), else None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


@dataclass(frozen=True, slots=True)
class RetryEnvelope:
    """A command waiting for its next attempt, with where it first came from."""

    command: dict[str, Any]
    attempts: int
    due: float
    source: dict[str, Any]
    last_error: str

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "command": self.command,
                "attempts": self.attempts,
                "due": self.due,
                "due_at": datetime.fromtimestamp(self.due, UTC).isoformat(),
                "source": self.source,
                "last_error": self.last_error,
            }
        )

    @classmethod
    def decode(cls, value: bytes | None) -> RetryEnvelope:
        """Decode; ValueError when the message is not a retry envelope."""
        if value is None:
            raise ValueError("null value on the retry topic")
        data = orjson.loads(value)
        if not isinstance(data, dict):
            raise ValueError("retry envelope is not an object")
        command = data.get("command")
        attempts = data.get("attempts")
        due = data.get("due")
        source = data.get("source")
        if not isinstance(command, dict):
            raise ValueError("retry envelope without a command")
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
            raise ValueError("retry envelope with a bad attempts count")
        if not isinstance(due, int | float) or isinstance(due, bool):
            raise ValueError("retry envelope with a bad due time")
        return cls(
            command=command,
            attempts=attempts,
            due=float(due),
            source=source if isinstance(source, dict) else {},
            last_error=str(data.get("last_error", "")),
        )
