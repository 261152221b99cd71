"""Which visitors a tick on a partition evaluates: those online or with open invitations,
and the tombstones purges leave (a tick deletes each once it expires; until then its
quiet span passes over it).

Kept in memory beside the visitor table and updated on every state write; rebuilt
from the table after each recovery (rebalance or restart), so it never needs a
changelog of its own. Beside each visitor it keeps the engine's quiet span
(:meth:`footfall.engine.Engine.quiet_span`): the ticks that would change nothing for
that visitor, which a tick passes over without reading the visitor's state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from footfall.engine.quiet import QuietSpan

__all__ = ["OnlineIndex"]


class OnlineIndex:
    """Online visitor ids (table keys) grouped by partition, each with its quiet span."""

    def __init__(self) -> None:
        self._by_partition: dict[int, dict[str, QuietSpan | None]] = {}
        #: the members that are a purge's tombstone (ticked, but nobody online)
        self._tombstones: dict[int, set[str]] = {}

    def mark(
        self,
        partition: int,
        visitor_id: str,
        online: bool,
        span: QuietSpan | None = None,
        *,
        tombstone: bool = False,
    ) -> None:
        """Record whether ``visitor_id`` (on ``partition``) is online after a state write,
        and the ticks it needs no visit on (``None``: the next one must visit it).
        ``tombstone``: ticked only so that it expires (not counted by :meth:`listed`)."""
        graves = self._tombstones.get(partition)
        if online:
            self._by_partition.setdefault(partition, {})[visitor_id] = span
            if tombstone:
                self._tombstones.setdefault(partition, set()).add(visitor_id)
            elif graves:
                graves.discard(visitor_id)
        else:
            members = self._by_partition.get(partition)
            if members is not None:
                members.pop(visitor_id, None)
            if graves:
                graves.discard(visitor_id)

    def visitors(self, partition: int) -> list[str]:
        """The online visitors of ``partition``, sorted (a stable tick order)."""
        return sorted(self._by_partition.get(partition, ()))

    def due(self, partition: int, quiet: Callable[[QuietSpan | None], bool]) -> list[str]:
        """The online visitors of ``partition`` whose span ``quiet`` does not cover, sorted."""
        members = self._by_partition.get(partition)
        if not members:
            return []
        return sorted(visitor for visitor, span in members.items() if not quiet(span))

    def partitions(self) -> list[int]:
        return sorted(self._by_partition)

    def count(self, partition: int | None = None) -> int:
        """Visitors ticks visit on ``partition``, or on all partitions."""
        if partition is not None:
            return len(self._by_partition.get(partition, ()))
        return sum(len(members) for members in self._by_partition.values())

    def listed(self) -> int:
        """:meth:`count` of all partitions but the tombstones purges left."""
        return self.count() - sum(len(graves) for graves in self._tombstones.values())

    def replace(self, entries: Iterable[tuple[int, str]]) -> None:
        """Rebuild from ``(partition, visitor_id)`` pairs of online visitors (no spans:
        the next tick visits them all)."""
        self._by_partition = {}
        self._tombstones = {}
        for partition, visitor_id in entries:
            self.mark(partition, visitor_id, True)

    def keep_only(self, partitions: Iterable[int]) -> None:
        """Forget the partitions this instance no longer owns."""
        wanted = set(partitions)
        for partition in [p for p in self._by_partition if p not in wanted]:
            del self._by_partition[partition]
            self._tombstones.pop(partition, None)
