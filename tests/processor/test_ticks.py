from __future__ import annotations

import pytest

from footfall.processor.ticks import Tick, decode_tick, encode_tick, next_tick_time, tick_time


def test_tick_times_are_aligned_to_the_epoch() -> None:
    assert tick_time(1_000_000_015.5, 30.0) == 1_000_000_020.0 - 30.0
    assert tick_time(60.0, 30.0) == 60.0
    assert next_tick_time(60.0, 30.0) == 90.0
    assert next_tick_time(61.0, 30.0) == 90.0


def test_tick_messages_round_trip() -> None:
    tick = Tick(1_700_000_010.0, 1_700_000_010.25)
    assert decode_tick(encode_tick(tick)) == tick


@pytest.mark.parametrize("data", [b"", b"[]", b'{"time": "soon"}', b"not json"])
def test_bad_tick_messages_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_tick(data)


@pytest.mark.parametrize("time", [0, -5, float("inf"), 7_258_118_400.0, 1e300])
def test_a_tick_outside_the_accepted_time_range_is_unreadable(time: float) -> None:
    with pytest.raises(ValueError):
        decode_tick(b'{"time": %s}' % (b"1e999" if time == float("inf") else repr(time).encode()))
