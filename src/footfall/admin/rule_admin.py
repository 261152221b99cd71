"""``rules push`` / ``delete`` / ``list`` over the compacted ``rules`` topic."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from footfall.admin.config_push import publish, rule_record
from footfall.compacted_topic import read_topic_to_end
from footfall.rules import RuleSet, compile_rules, load_rule_files
from footfall.settings import Settings

__all__ = ["delete_rule", "list_rules", "load_for_push", "push_rules"]


def load_for_push(paths: Sequence[str | Path]) -> RuleSet:
    """Read and validate every rule in ``paths``; raise RuleValidationError with every issue."""
    return compile_rules(load_rule_files(paths))


async def push_rules(settings: Settings, rules: RuleSet) -> int:
    """Publish every rule keyed by id (value: canonical JSON plus ``version``)."""
    return await publish(
        settings, settings.topic("rules"), [rule_record(r) for r in rules.rules.values()]
    )


async def delete_rule(settings: Settings, rule_id: str) -> None:
    """Publish the tombstone of ``rule_id``."""
    await publish(settings, settings.topic("rules"), [(rule_id.encode(), None)])


async def list_rules(settings: Settings) -> list[dict[str, Any]]:
    """The rules on the topic now (latest record per id, deletions applied), by id.

    Each row: id, version, enabled, owner (``admin``, ``admin:<id>`` or
    ``agent:<id>``), event, name. A record that is not a JSON object is listed with
    ``event`` ``"<unreadable>"``.
    """
    latest: dict[str, bytes] = {}
    for record in await read_topic_to_end(settings, settings.topic("rules")):
        if record.key is None:
            continue
        if record.value is None:
            latest.pop(record.key, None)
        else:
            latest[record.key] = record.value
    return [_row(key, value) for key, value in sorted(latest.items())]


def _row(key: str, value: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return {"id": key, "version": None, "enabled": None, "owner": None, "event": "<unreadable>"}
    owner = data.get("owner")
    role = owner.get("role") if isinstance(owner, dict) else None
    owner_id = owner.get("id") if isinstance(owner, dict) else None
    return {
        "id": key,
        "version": data.get("version"),
        "enabled": data.get("enabled", True),
        "owner": f"{role}:{owner_id}" if owner_id else (role or "admin"),
        "event": data.get("event"),
        "name": data.get("name"),
    }
