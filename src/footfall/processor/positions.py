"""Which consumed messages an agent may handle and acknowledge: none out of order.

Faust commits, per partition, the offsets its streams acknowledged, and it hands a
stream the messages of a partition in offset order. Around a rebalance that order can
break without a trace: when Faust resumes a partition after recovering the tables it
seeks back to the committed offset, but messages fetched meanwhile may already be on
their way to the stream, and resuming the flow then clears the stream's buffer. The
stream next receives a message further on, Faust records the offsets in between as a
"gap" (meant for offsets that hold no message, such as transaction markers) and counts
them as acknowledged: the agent's next acknowledgement commits past messages it never
saw (the fault drill found two page views lost this way, docs/reliability.md).

So each agent checks every message against the offset it expects next on that
partition within the current consumer generation (:class:`InputPositions`):

- a message read before the latest rebalance is *stale*: it is neither handled nor
  acknowledged (whoever owns its partition now reads it again from the committed
  offset);
- a message below the expected offset was *seen* already (read again after a seek);
- a message above it means the ones in between never arrived: a *hole*. The agent seeks
  the partition back to the expected offset and *skips* what was read past the hole,
  until the messages read again after the seek arrive. If the first of them is still
  above the expected offset, Kafka holds nothing in between (a transaction marker, a
  compacted or expired range) and the agent goes on from there.

Only *handle* is acknowledged, so the acknowledged offsets of a partition never run
past one the agent did not handle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Admission", "InputPositions"]


class Admission(Enum):
    """What an agent does with one consumed message."""

    HANDLE = "handle"  # handle it, then acknowledge it
    STALE = "stale"  # read before the latest rebalance: drop, no acknowledgement
    SEEN = "seen"  # handled already in this generation (read again): drop
    HOLE = "hole"  # messages before it did not arrive: seek back to InputPositions.expected
    SKIP = "skip"  # read past a hole, before the seek back took effect: drop


@dataclass(slots=True)
class _Partition:
    expected: int  # the offset handled next
    hole_at: int | None = None  # seeking back: the offset that showed the hole
    seeking_past: int | None = None  # seeking back: the highest offset read since


class InputPositions:
    """The offset each (topic, partition) is expected at next, in one consumer generation.

    ``admit`` is told each message's position, the generation in which it was read,
    the consumer's current generation, and the partition's committed offset as the
    consumer knows it (``None`` when unknown); it answers what to do with the message.
    After a :attr:`Admission.HOLE` the caller seeks the partition back to
    :meth:`expected`, and must let every message from there reach ``admit`` (Faust would
    drop those below an offset it already delivered: see ``footfall.processor.faust_app``).
    """

    def __init__(self) -> None:
        self.generation: int | None = None
        self._partitions: dict[tuple[str, int], _Partition] = {}

    def expected(self, topic: str, partition: int) -> int | None:
        """The offset the partition is expected at next (where a hole seeks back to)."""
        state = self._partitions.get((topic, partition))
        return None if state is None else state.expected

    def seeking(self, topic: str, partition: int) -> bool:
        """Whether the partition was sought back and its messages are not read again yet."""
        state = self._partitions.get((topic, partition))
        return state is not None and state.hole_at is not None

    def admit(
        self,
        topic: str,
        partition: int,
        offset: int,
        *,
        read_in: int | None,
        current: int,
        committed: int | None,
    ) -> Admission:
        if read_in != current:
            return Admission.STALE
        if current != self.generation:
            # a rebalance: every partition starts again from its committed offset
            self.generation = current
            self._partitions.clear()
        key = (topic, partition)
        state = self._partitions.get(key)
        if state is None:
            if committed is None or committed < 0 or offset == committed:
                self._partitions[key] = _Partition(offset + 1)
                return Admission.HANDLE
            if offset < committed:
                return Admission.SEEN
            self._partitions[key] = _Partition(committed, hole_at=offset, seeking_past=offset)
            return Admission.HOLE
        if offset == state.expected:
            state.expected = offset + 1
            state.hole_at = state.seeking_past = None
            return Admission.HANDLE
        if offset < state.expected:
            return Admission.SEEN
        if state.hole_at is None or state.seeking_past is None:
            state.hole_at = state.seeking_past = offset
            return Admission.HOLE
        if offset > state.seeking_past:
            # still what was read past the hole before the seek back took effect
            state.seeking_past = offset
            return Admission.SKIP
        if offset <= state.hole_at:
            # the first message read again, and still above the expected offset: Kafka
            # holds no message in between (the message at hole_at is one), go on from here
            state.expected = offset + 1
            state.hole_at = state.seeking_past = None
            return Admission.HANDLE
        # read again, but not from the expected offset: seek back once more
        state.seeking_past = offset
        return Admission.HOLE
