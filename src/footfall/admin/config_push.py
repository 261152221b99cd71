"""Publishing rules, profiles and providers to their compacted topics (SPEC §1, §6).

A rule record is keyed by rule id; its value is the rule's canonical JSON (defaults
filled in) plus ``"version"``, the short hash every command of that version carries.
The processor removes ``version`` and compiles the rest, which gives the same version.
A null value (tombstone) deletes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from footfall.kafka_clients import make_producer
from footfall.rules import CompiledRule
from footfall.settings import Settings

__all__ = ["Record", "json_record", "publish", "rule_record"]

Record = tuple[bytes, bytes | None]


def rule_record(rule: CompiledRule) -> Record:
    """The ``rules`` record of a compiled rule."""
    value: dict[str, Any] = dict(rule.data)
    value["version"] = rule.version
    return rule.id.encode(), orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def json_record(key: str, value: Any) -> Record:
    """A record keyed by ``key`` whose value is ``value`` as JSON (``None``: a tombstone)."""
    return key.encode(), None if value is None else orjson.dumps(value)


async def publish(settings: Settings, topic: str, records: Iterable[Record]) -> int:
    """Produce ``records`` to the full topic name ``topic``, in order; wait for every ack."""
    items: Sequence[Record] = list(records)
    producer = make_producer(settings)
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()
    return len(items)
