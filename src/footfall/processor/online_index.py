"""Which visitors a tick on a partition evaluates: those online or with open invitations.

Kept in memory beside the visitor table and updated on every state write; rebuilt
from the table after each recovery (rebalance or restart), so it never needs a
changelog of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["OnlineIndex"]


class OnlineIndex:
    """Online visitor ids (table keys) grouped by partition."""

    def __init__(self) -> None:
        self._by_partition: dict[int, set[str]] = {}

    def mark(self, partition: int, visitor_id: str, online: bool) -> None:
        """Record whether ``visitor_id`` (on ``partition``) is online after a state write."""
        if online:
            self._by_partition.setdefault(partition, set()).add(visitor_id)
        else:
            members = self._by_partition.get(partition)
            if members is not None:
                members.discard(visitor_id)

    def visitors(self, partition: int) -> list[str]:
        """The online visitors of ``partition``, sorted (a stable tick order)."""
        return sorted(self._by_partition.get(partition, ()))

    def partitions(self) -> list[int]:
        return sorted(self._by_partition)

    def count(self) -> int:
        return sum(len(members) for members in self._by_partition.values())

    def replace(self, entries: Iterable[tuple[int, str]]) -> None:
        """Rebuild from ``(partition, visitor_id)`` pairs of online visitors."""
        self._by_partition = {}
        for partition, visitor_id in entries:
            self.mark(partition, visitor_id, True)

    def keep_only(self, partitions: Iterable[int]) -> None:
        """Forget the partitions this instance no longer owns."""
        wanted = set(partitions)
        for partition in [p for p in self._by_partition if p not in wanted]:
            del self._by_partition[partition]
