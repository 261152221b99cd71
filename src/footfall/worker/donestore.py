"""The ids of commands already executed, so that repeats are dropped (SPEC §7).

Backed by the compacted internal topic ``<prefix>actions-done`` (key: command id; value:
when and by which kind it was executed; ``cleanup.policy=compact,delete`` with a 7-day
retention). Every worker reads it whole at start and follows it live into a bounded LRU
set (``MAX_IDS`` most recent ids), so a restart, a rebalance or another replica of the
group knows what was done. A command is recorded after it has executed and before its
offset is committed; a crash between the two repeats it once (at least once).
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["DONE_RETENTION_MS", "MAX_IDS", "DoneIds"]

MAX_IDS = 500_000
DONE_RETENTION_MS = 7 * 24 * 3600 * 1000


class DoneIds:
    """A bounded set of command ids, oldest forgotten first."""

    def __init__(self, capacity: int = MAX_IDS) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, command_id: str) -> None:
        self._ids[command_id] = None
        self._ids.move_to_end(command_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)

    def on_record(self, key: bytes | None, value: bytes | None) -> None:
        if key is not None and value is not None:
            self.add(key.decode("utf-8", errors="replace"))
