"""Which offset of each partition may be committed.

Commands of one partition run concurrently and finish in any order. The committed
offset of a partition only ever moves up to the lowest offset still pending (started
but not finished, or waiting for a retry that is due later), so that a crash re-delivers
every command that had not finished; when nothing is pending it is one past the last
offset seen. Memory is proportional to the number of pending commands.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

__all__ = ["CommitTracker", "PartitionTracker"]


@dataclass(slots=True)
class PartitionTracker:
    """Pending offsets of one partition (offsets are added in increasing order)."""

    pending: dict[int, None] = field(default_factory=dict)
    next_offset: int | None = None
    committed: int | None = None

    def start(self, offset: int) -> None:
        self.pending[offset] = None
        if self.next_offset is None or offset + 1 > self.next_offset:
            self.next_offset = offset + 1

    def finish(self, offset: int) -> None:
        self.pending.pop(offset, None)

    def committable(self) -> int | None:
        """The offset to commit now (the next one to read after a restart), or None."""
        if self.pending:
            return next(iter(self.pending))
        return self.next_offset


class CommitTracker:
    """Pending offsets per partition; partitions are any hashable key (aiokafka TopicPartition)."""

    def __init__(self) -> None:
        self._partitions: dict[Hashable, PartitionTracker] = {}

    def start(self, partition: Hashable, offset: int) -> PartitionTracker:
        """Mark ``offset`` pending; finish it on the returned tracker (which outlives a
        revocation, so a late finish cannot touch a re-assigned partition's new tracker)."""
        tracker = self._partitions.setdefault(partition, PartitionTracker())
        tracker.start(offset)
        return tracker

    def finish(self, partition: Hashable, offset: int) -> None:
        tracker = self._partitions.get(partition)
        if tracker is not None:
            tracker.finish(offset)

    def pending_count(self) -> int:
        return sum(len(t.pending) for t in self._partitions.values())

    def to_commit(self) -> dict[Hashable, int]:
        """Offsets that moved since the last :meth:`mark_committed`."""
        result: dict[Hashable, int] = {}
        for partition, tracker in self._partitions.items():
            offset = tracker.committable()
            if offset is not None and offset != tracker.committed:
                result[partition] = offset
        return result

    def mark_committed(self, offsets: dict[Hashable, int]) -> None:
        for partition, offset in offsets.items():
            tracker = self._partitions.get(partition)
            if tracker is not None:
                tracker.committed = offset

    def forget(self, partitions: list[Hashable]) -> None:
        """Drop partitions that were revoked; late finishes for them are ignored."""
        for partition in partitions:
            self._partitions.pop(partition, None)
