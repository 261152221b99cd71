"""A write buffer over a table: the state of a batch is written only after its output.

The processor handles input in batches. While a batch is handled, reads see the
batch's own writes and writes stay here; after the batch's commands have been
acknowledged by Kafka, :meth:`BatchTable.commit` applies them to the real table (and
so to its changelog). A crash between the two replays the batch from the last
committed offsets against the state from before it: the same commands, with the same
ids, come out again, and none is lost (see docs/architecture.md).
"""

from __future__ import annotations

from typing import Any

__all__ = ["BatchTable"]

_DELETED = None


class BatchTable:
    """Buffers ``get``/set/delete over ``table`` until :meth:`commit`."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._pending: dict[str, bytes | None] = {}

    def get(self, key: str) -> bytes | None:
        if key in self._pending:
            return self._pending[key]
        value: bytes | None = self._table.get(key)
        return value

    def __contains__(self, key: object) -> bool:
        if key in self._pending:
            return self._pending[key] is not _DELETED
        return key in self._table

    def __setitem__(self, key: str, value: bytes) -> None:
        self._pending[key] = value

    def __delitem__(self, key: str) -> None:
        self._pending[key] = _DELETED

    @property
    def pending(self) -> int:
        return len(self._pending)

    def commit(self) -> None:
        """Apply the buffered writes to the table, in the order keys were first written."""
        table = self._table
        for key, value in self._pending.items():
            if value is _DELETED:
                if key in table:
                    del table[key]  # a tombstone in the changelog
            else:
                table[key] = value
        self._pending.clear()

    def discard(self) -> None:
        self._pending.clear()
