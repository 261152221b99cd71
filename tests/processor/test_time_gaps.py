"""The processor's step: times out of range are dead letters, gaps in time cost nothing."""

from __future__ import annotations

import time

import orjson

from footfall.engine.engine import Engine, EngineConfig
from footfall.processor.handling import VisitorStep
from footfall.processor.metrics import ProcessorMetrics
from footfall.processor.online_index import OnlineIndex
from footfall.processor.ticks import Tick, encode_tick
from footfall.rules import compile_rules

RULES: list[dict[str, object]] = [
    {
        "id": "berlin-mornings",
        "name": "Berlin mornings",
        "event": "online_activity",
        "timezone": "Europe/Berlin",
        "when": {"time_of_day": {"between": ["08:00", "09:00"]}},
        "actions": [{"kind": "log_to_file", "file": "m.log"}],
    },
    {
        "id": "busy",
        "name": "Busy",
        "event": "online_activity",
        "when": {"hits": {"gte": 2, "window": "1h"}},
        "actions": [{"kind": "log_to_file", "file": "b.log"}],
    },
]


def _step() -> VisitorStep:
    engine = Engine(compile_rules(RULES), EngineConfig(invitation_timeout=0.0))
    return VisitorStep(
        engine,
        {},
        OnlineIndex(),
        ProcessorMetrics(),
        max_event_bytes=65536,
        full_topic={"visitor-events": "p.visitor-events"},
    )


def _view(when: str, event_id: str, kind: str = "page_view") -> bytes:
    return orjson.dumps(
        {
            "type": kind,
            "visitor_id": "v1",
            "time": when,
            "event_id": event_id,
            "url": "https://example.com/",
            "invitation_id": "i1",
        }
    )


def test_a_time_out_of_range_is_a_bad_time_dead_letter_with_its_source() -> None:
    step = _step()
    for offset, when in enumerate(
        ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]
    ):
        result = step.handle("visitor-events", 3, offset, b"v1", _view(when, f"e{offset}"))
        [letter] = result.outgoing
        record = orjson.loads(letter.value)
        assert record["reason"] == "bad_time" and when in record["error"]
        assert record["source"] == {"topic": "p.visitor-events", "partition": 3, "offset": offset}
    assert step.table == {}


def test_events_and_ticks_two_centuries_apart_cost_no_work_for_the_gap() -> None:
    step = _step()
    started = time.process_time()
    inputs = [
        _view("2000-01-01T07:30:00Z", "a"),
        _view("2000-01-01T07:30:01Z", "i", "chat_invited"),  # never times out
        _view("2199-12-31T07:30:00Z", "b"),
        _view("2000-01-02T07:30:00Z", "c"),  # old: counted, clocks stay
        _view("2199-12-31T07:40:00Z", "d"),
    ]
    commands = 0
    for offset, value in enumerate(inputs):
        commands += len(step.handle("visitor-events", 0, offset, b"v1", value).outgoing)
    for when in (946_711_800.0, 7_258_052_000.0, 7_258_118_399.0):
        step.handle("ticks", 0, 0, b"tick", encode_tick(Tick(when, when)))
    assert time.process_time() - started < 0.5
    assert commands >= 3
