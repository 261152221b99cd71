"""Dead letters: building them for rejected input, and keeping the latest in memory.

A dead letter is ``{"reason", "error", "source": {topic, partition, offset},
"payload"}`` (SPEC §1). The payload is the message as text when it is UTF-8, else
base64 with ``"payload_encoding": "base64"`` beside it. Payloads are cut to
:data:`MAX_PAYLOAD_CHARS` characters in the in-memory ring; the topic keeps them whole
unless the dead letter would pass what Kafka takes (then its beginning is kept).
"""

from __future__ import annotations

import base64
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from footfall.compacted_topic import ConfigRecord, ConfigTopicReader
from footfall.kafka_clients import MAX_RECORD_BYTES
from footfall.settings import Settings

__all__ = ["DeadLetter", "DeadLetterRing", "dead_letter"]

log = logging.getLogger(__name__)

MAX_PAYLOAD_CHARS = 4096


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message ready to publish: key as received, JSON-encoded value."""

    key: bytes | None
    value: bytes
    reason: str


def dead_letter(
    reason: str,
    error: str,
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    payload: bytes | None,
    most: int = MAX_RECORD_BYTES,
) -> DeadLetter:
    """The dead letter for a message rejected at ``topic[partition]@offset``.

    A dead letter that would pass ``most`` bytes keeps only the beginning of the payload
    (``"payload_truncated": true``, ``"payload_bytes"``: the size received)."""
    record: dict[str, Any] = {
        "reason": reason,
        "error": error,
        "source": {"topic": topic, "partition": partition, "offset": offset},
    }
    if payload is None:
        record["payload"] = None
    else:
        try:
            record["payload"] = payload.decode("utf-8")
        except UnicodeDecodeError:
            record["payload"] = base64.b64encode(payload).decode("ascii")
            record["payload_encoding"] = "base64"
    value = orjson.dumps(record)
    if len(value) > most and payload is not None:
        # a payload near Kafka's limit (or one JSON escaping blows up) would make the
        # dead letter itself unpublishable: keep its beginning and say so
        text = record["payload"]
        record["payload_truncated"] = True
        record["payload_bytes"] = len(payload)
        keep = most // 2
        while True:
            record["payload"] = text[:keep]
            value = orjson.dumps(record)
            if len(value) <= most:
                break
            keep //= 2
    return DeadLetter(key=key, value=value, reason=reason)


class DeadLetterRing:
    """The most recent dead letters of the ``dead-letters`` topic, for ``/api/dead-letters``.

    Reads every partition (no group) starting ``capacity`` records before the end, so a
    restarted processor still shows recent ones; entries carry ``received_at`` (the
    record's Kafka timestamp, milliseconds) and are served newest first.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        capacity: int = 1000,
        on_letter: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._settings = settings
        self._items: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._capacity = capacity
        self._on_letter = on_letter
        self._reader: ConfigTopicReader | None = None

    def latest(self, limit: int) -> list[dict[str, Any]]:
        items = sorted(self._items, key=lambda item: item.get("received_at", 0), reverse=True)
        return items[: max(0, limit)]

    def add(self, letter: dict[str, Any]) -> None:
        self._items.append(letter)

    async def start(self) -> None:
        self._reader = ConfigTopicReader(
            self._settings,
            self._settings.topic("dead-letters"),
            self._take,
            poll_ms=500,
            tail=self._capacity,
        )
        await self._reader.start()

    def _take(self, record: ConfigRecord) -> None:
        try:
            letter = orjson.loads(record.value or b"")
        except (orjson.JSONDecodeError, TypeError):
            letter = {"reason": "unreadable", "error": "dead letter is not JSON"}
        if not isinstance(letter, dict):
            letter = {"reason": "unreadable", "error": "dead letter is not a JSON object"}
        payload = letter.get("payload")
        if isinstance(payload, str) and len(payload) > MAX_PAYLOAD_CHARS:
            letter["payload"] = payload[:MAX_PAYLOAD_CHARS]
            letter["payload_truncated"] = True
        letter["received_at"] = record.timestamp
        letter["key"] = record.key
        self.add(letter)
        if self._on_letter is not None:
            self._on_letter(letter)

    async def stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
            self._reader = None
