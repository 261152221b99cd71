"""Missed ticks run late and ticks wait for older events (footfall.processor.tick_marks)."""

from __future__ import annotations

import orjson

from footfall.engine.engine import Engine, EngineConfig
from footfall.events import format_time, parse_time
from footfall.events.parsing import MAX_VISITOR_ID_LENGTH
from footfall.processor.faust_app import InputMessage
from footfall.processor.handling import TickOrder, VisitorStep
from footfall.processor.metrics import ProcessorMetrics
from footfall.processor.online_index import OnlineIndex
from footfall.processor.partitioning import partition_for
from footfall.processor.tick_marks import (
    MAX_HOLD,
    catch_up_limit,
    catch_up_times,
    is_mark_key,
    mark_key,
)
from footfall.processor.ticks import Tick, encode_tick
from footfall.rules import compile_rules

INTERVAL = 30.0
IDLE = [
    {
        "id": "idle",
        "name": "Idle for a minute",
        "event": "online_activity",
        "when": {"idle_minutes": {"gte": 1}},
        "actions": [{"kind": "log_to_file", "file": "idle.log"}],
    }
]
FULL = {"visitor-events": "p.visitor-events", "ticks": "p.ticks"}
T0 = parse_time("2026-03-02T10:00:00Z")


class Lag:
    """A controllable ``behind`` and clock."""

    def __init__(self) -> None:
        self.behind = False
        self.now = T0 + 3600.0  # the wall clock: after every tick of a test

    def is_behind(self, partition: int) -> bool:
        return self.behind

    def clock(self) -> float:
        return self.now


def _step(table: dict[str, bytes], lag: Lag | None, *, ordered: bool = True) -> VisitorStep:
    engine = Engine(compile_rules(IDLE), EngineConfig(idle_timeout=150.0))
    step = VisitorStep(
        engine, table, OnlineIndex(), ProcessorMetrics(), max_event_bytes=4096, full_topic=FULL
    )
    if ordered:
        assert lag is not None
        step.ticks = TickOrder(
            interval=INTERVAL,
            catch_up=catch_up_limit(INTERVAL, 150.0, 120.0),
            partitions=1,
            behind=lag.is_behind,
            clock=lag.clock,
        )
    return step


def _view(offset: int, at: float) -> InputMessage:
    value = orjson.dumps(
        {
            "type": "page_view",
            "visitor_id": "v1",
            "time": format_time(at),
            "event_id": f"e{offset}",
            "url": "https://example.com/",
        }
    )
    return InputMessage("visitor-events", 0, offset, b"v1", value)


def _tick(offset: int, at: float, sent_at: float | None = None) -> InputMessage:
    value = encode_tick(Tick(at, at if sent_at is None else sent_at))
    return InputMessage("ticks", 0, offset, b"tick", value)


def _commands(step: VisitorStep, batch: list[InputMessage]) -> list[str]:
    return [
        orjson.loads(o.value)["command_id"]
        for o in step.handle_batch(batch)
        if o.topic == "actions"
    ]


def test_catch_up_times_are_the_aligned_ones_in_between_latest_last() -> None:
    assert catch_up_times(None, 300.0, 30.0, 10) == []
    assert catch_up_times(270.0, 300.0, 30.0, 10) == []
    assert catch_up_times(150.0, 300.0, 30.0, 10) == [180.0, 210.0, 240.0, 270.0]
    assert catch_up_times(150.0, 300.0, 30.0, 2) == [240.0, 270.0]
    assert catch_up_limit(30.0, 900.0, 120.0) == 35


def test_a_tick_mark_key_lives_on_its_partition_and_is_no_visitor_id() -> None:
    for partitions in (1, 4, 12):
        for partition in range(partitions):
            key = mark_key(partition, partitions)
            assert partition_for(key.encode(), partitions) == partition
            assert len(key) > MAX_VISITOR_ID_LENGTH and is_mark_key(key)
    assert not is_mark_key("v1")


def test_ticks_missed_during_an_outage_are_run_as_every_tick_would_have() -> None:
    ticks_every = [T0 + 30.0 * k for k in range(1, 7)]  # 10:00:30 .. 10:03:00
    reference = _step({}, None, ordered=False)
    expected = _commands(
        reference, [_view(0, T0)] + [_tick(k, t) for k, t in enumerate(ticks_every, 1)]
    )
    assert expected, "the idle rule fires at 10:01:00 when every tick runs"
    # the live system ran the tick of 10:00:30, then none until 10:03:00 (broker away)
    unordered = _step({}, None, ordered=False)
    assert (
        _commands(unordered, [_view(0, T0), _tick(1, ticks_every[0]), _tick(2, ticks_every[-1])])
        == []
    )
    caught_up = _step({}, Lag())
    got = _commands(caught_up, [_view(0, T0), _tick(1, ticks_every[0]), _tick(2, ticks_every[-1])])
    assert got == expected


def test_the_tick_mark_survives_a_restart_with_the_table() -> None:
    table: dict[str, bytes] = {}
    first = _step(table, Lag())
    assert _commands(first, [_view(0, T0), _tick(1, T0 + 30.0)]) == []
    assert any(is_mark_key(key) for key in table)
    restarted = _step(table, Lag())  # a new process: nothing in memory, the same table
    restarted.index.mark(0, "v1", True)  # as the processor's recovery rebuilds it
    assert len(_commands(restarted, [_tick(2, T0 + 180.0)])) == 1  # 10:01:00 run late


def test_a_tick_waits_until_the_older_events_of_its_partition_are_read() -> None:
    lag = Lag()
    step = _step({}, lag)
    lag.behind = True  # the event of 10:00:10 still waits in Kafka
    lag.now = T0 + 95.0
    assert _commands(step, [_tick(0, T0 + 90.0)]) == []
    assert step.held.holding(0)
    lag.behind = False
    # the event is read: the held tick runs after it and sees a visitor idle 80 s
    assert len(_commands(step, [_view(0, T0 + 10.0)])) == 1
    assert not step.held.holding(0)


def test_a_held_tick_runs_anyway_after_the_longest_hold() -> None:
    lag = Lag()
    step = _step({}, lag)
    assert _commands(step, [_view(0, T0)]) == []
    lag.behind, lag.now = True, T0 + 61.0
    assert _commands(step, [_tick(1, T0 + 60.0, sent_at=T0 + 60.0)]) == []
    lag.now = T0 + 60.0 + MAX_HOLD + 1.0  # still behind: a sustained overload
    # any later batch (here the same event again, a duplicate) runs it
    assert len(_commands(step, [_view(0, T0)])) == 1
    assert not step.held.holding(0)


def test_a_tick_from_the_future_is_ignored_and_stops_nothing() -> None:
    lag = Lag()
    step = _step({}, lag)
    lag.now = T0 + 61.0
    assert _commands(step, [_view(0, T0), _tick(1, T0 + 86_400.0)]) == []
    assert 0 not in step.last_tick
    assert len(_commands(step, [_tick(2, T0 + 60.0)])) == 1
