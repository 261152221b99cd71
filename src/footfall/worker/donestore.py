"""What became of each command id, so that repeats are dropped (SPEC §7).

Backed by the compacted internal topic ``<prefix>actions-done`` (key: command id;
value: ``{"state": "done"|"retrying", "attempts", "kind", "at"}``;
``cleanup.policy=compact,delete`` with a one-day retention). Every worker reads its last
hour (``LEDGER_LOOKBACK``) at start, before it consumes a command, and follows it live
into a bounded LRU map (``MAX_IDS`` most recent ids), so that a restart, a rebalance or
another replica of the group knows:

- ``done``: the command was executed: a repeat is dropped;
- ``retrying`` with ``attempts = n``: the retry topic holds the command's attempt-``n``
  envelope, so a re-delivered original or an older envelope (re-read after a crash) is
  dropped instead of starting a second retry chain.

A state is recorded after the outcome (and after the retry envelope is acknowledged)
and before the offset is committed; a crash between the two repeats the command once
(at least once). Dead-lettered commands are not recorded, so that an operator can
replay one by producing it to ``actions`` again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson

__all__ = ["DONE_RETENTION_MS", "LEDGER_LOOKBACK", "MAX_IDS", "CommandLedger", "ledger_record"]

MAX_IDS = 500_000
DONE_RETENTION_MS = 24 * 3600 * 1000
LEDGER_LOOKBACK = 3600.0
_FINISHED = -1


class CommandLedger:
    """A bounded map of command id → finished, or the number of attempts made so far."""

    def __init__(self, capacity: int = MAX_IDS) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[str, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._ids)

    def finished(self, command_id: str) -> bool:
        return self._ids.get(command_id) == _FINISHED

    def attempts(self, command_id: str) -> int:
        """Attempts recorded for a command still retrying (0 when unknown or finished)."""
        value = self._ids.get(command_id, 0)
        return max(value, 0)

    def is_stale(self, command_id: str, attempts_before: int) -> bool:
        """True when the command is finished or a later attempt is already scheduled."""
        value = self._ids.get(command_id)
        if value is None:
            return False
        return value == _FINISHED or value > attempts_before

    def mark_finished(self, command_id: str) -> None:
        self._set(command_id, _FINISHED)

    def mark_retrying(self, command_id: str, attempts: int) -> None:
        if not self.finished(command_id) and attempts > self.attempts(command_id):
            self._set(command_id, attempts)

    def _set(self, command_id: str, value: int) -> None:
        self._ids[command_id] = value
        self._ids.move_to_end(command_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)

    def on_record(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one record of the ``actions-done`` topic."""
        if key is None or value is None:
            return
        command_id = key.decode("utf-8", errors="replace")
        try:
            data: Any = orjson.loads(value)
        except orjson.JSONDecodeError:
            return
        if not isinstance(data, dict):
            return
        state = data.get("state", "done")
        if state == "retrying":
            attempts = data.get("attempts")
            if isinstance(attempts, int) and not isinstance(attempts, bool):
                self.mark_retrying(command_id, attempts)
        else:
            self.mark_finished(command_id)


def ledger_record(state: str, kind: str, attempts: int, at: float) -> bytes:
    return orjson.dumps({"state": state, "kind": kind, "attempts": attempts, "at": at})
