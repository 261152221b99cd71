"""The agents keep each input partition in order (footfall.processor.positions)."""

from __future__ import annotations

from footfall.processor.positions import Admission, InputPositions

HANDLE, STALE, SEEN, HOLE, SKIP = (
    Admission.HANDLE,
    Admission.STALE,
    Admission.SEEN,
    Admission.HOLE,
    Admission.SKIP,
)


def _feed(
    positions: InputPositions, offsets: list[int], *, committed: int | None, generation: int = 3
) -> list[Admission]:
    return [
        positions.admit(
            "visitor-events", 0, offset, read_in=generation, current=generation, committed=committed
        )
        for offset in offsets
    ]


def test_messages_dropped_on_the_way_after_a_rebalance_are_read_again() -> None:
    # The fault drill's case: committed 114, the messages 114-123 fetched and then
    # dropped by Faust on resuming the partition; the stream goes on at 124.
    positions = InputPositions()
    assert _feed(positions, [124], committed=114) == [HOLE]
    assert positions.expected("visitor-events", 0) == 114  # where to seek back to
    assert positions.seeking("visitor-events", 0)
    # what was read past the hole before the seek took effect, then the partition again
    assert _feed(positions, [125, 126], committed=114) == [SKIP, SKIP]
    again = _feed(positions, list(range(114, 130)), committed=114)
    assert again == [HANDLE] * 16
    assert not positions.seeking("visitor-events", 0)
    assert positions.expected("visitor-events", 0) == 130


def test_a_jump_within_the_generation_is_a_hole() -> None:
    positions = InputPositions()
    assert _feed(positions, [114, 115, 116, 120, 121], committed=114) == [
        HANDLE, HANDLE, HANDLE, HOLE, SKIP,
    ]  # fmt: skip
    assert positions.expected("visitor-events", 0) == 117
    assert _feed(positions, [117, 118], committed=114) == [HANDLE, HANDLE]


def test_messages_read_again_after_a_seek_are_not_handled_twice() -> None:
    positions = InputPositions()
    assert _feed(positions, [114, 115, 116], committed=None) == [HANDLE] * 3
    # Faust seeks back to the committed offset on resuming the partition
    assert _feed(positions, [114, 115, 116, 117], committed=114) == [SEEN, SEEN, SEEN, HANDLE]


def test_the_first_message_below_the_committed_offset_was_seen() -> None:
    positions = InputPositions()
    assert _feed(positions, [112, 113, 114], committed=114) == [SEEN, SEEN, HANDLE]


def test_offsets_holding_no_message_are_passed_once_read_again() -> None:
    # A transaction marker (or a compacted or expired range) at 10 and 11: the message
    # after the seek back is 12 again, below the one that showed the hole.
    positions = InputPositions()
    assert _feed(positions, [12, 13], committed=10) == [HOLE, SKIP]
    assert _feed(positions, [12, 13, 14], committed=10) == [HANDLE, HANDLE, HANDLE]
    assert positions.expected("visitor-events", 0) == 15


def test_a_read_again_that_starts_past_the_hole_seeks_again() -> None:
    positions = InputPositions()
    assert _feed(positions, [20, 21, 22], committed=10) == [HOLE, SKIP, SKIP]
    # read again, but from 21 (past 20, the message that showed the hole): not the
    # start of the partition's messages after 10, so back once more
    assert _feed(positions, [21], committed=10) == [HOLE]
    assert positions.expected("visitor-events", 0) == 10
    assert _feed(positions, [10, 11], committed=10) == [HANDLE, HANDLE]


def test_messages_read_before_a_rebalance_are_stale() -> None:
    positions = InputPositions()
    assert _feed(positions, [5, 6], committed=5, generation=3) == [HANDLE, HANDLE]
    stale = positions.admit("visitor-events", 0, 7, read_in=3, current=4, committed=5)
    assert stale is STALE
    # the new generation starts again from the committed offset
    assert _feed(positions, [5, 6, 7], committed=5, generation=4) == [HANDLE] * 3


def test_partitions_and_topics_are_kept_apart() -> None:
    positions = InputPositions()
    admit = positions.admit
    assert admit("visitor-events", 0, 3, read_in=1, current=1, committed=3) is HANDLE
    assert admit("visitor-events", 1, 9, read_in=1, current=1, committed=9) is HANDLE
    assert admit("chat-events", 0, 0, read_in=1, current=1, committed=None) is HANDLE
    assert admit("visitor-events", 0, 4, read_in=1, current=1, committed=3) is HANDLE
    assert admit("visitor-events", 1, 11, read_in=1, current=1, committed=9) is HOLE
