"""Hostile input: every bad message is an EventError with a reason, nothing crashes."""

from __future__ import annotations

import json
import logging
import time
from io import StringIO

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from footfall.cli.simulate import simulate_lines
from footfall.engine import EngineConfig
from footfall.events import REASONS, EventError, parse_control, parse_event, parse_message
from footfall.events.timestamps import EARLIEST, LATEST, parse_event_time
from footfall.fuzzing import hostile_messages, hostile_rules, run_hostile
from footfall.rules.clock import clock_for
from footfall.simulation import Simulation
from footfall.testing import rule, rules_of

BASE = {"type": "page_view", "visitor_id": "v1", "url": "https://example.com/"}


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth - 1):
        value = [value]
    return value


def _nested_text(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _reason(data: bytes | str) -> str:
    with pytest.raises(EventError) as info:
        parse_message(data)
    return info.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00Z",  # the zero time some tracker libraries send
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:00:00Z",
        "1970-01-01T00:00:00Z",
        "1999-12-31T23:59:59.999Z",
        "2000-01-01T00:30:00+01:00",  # 1999-12-31T23:30:00Z
        "2200-01-01T00:00:00Z",
        "2199-12-31T23:30:00-01:00",  # 2200-01-01T00:30:00Z
    ],
)
def test_times_outside_2000_to_2200_are_bad_times(text: str) -> None:
    for kind in ("page_view", "remove"):
        with pytest.raises(EventError) as info:
            parse_message(orjson.dumps({**BASE, "type": kind, "time": text}))
        assert info.value.reason == "bad_time" and info.value.field == "time"
        assert text in str(info.value) and "2000-01-01" in str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2000-01-01T00:00:00Z", EARLIEST),
        ("2000-01-01T01:00:00+01:00", EARLIEST),
        ("2199-12-31T23:59:59.999Z", LATEST - 0.001),
    ],
)
def test_times_at_the_ends_of_the_range_are_accepted(text: str, seconds: float) -> None:
    assert parse_event_time(text) == seconds
    assert parse_message({**BASE, "time": text}).time == seconds


def test_an_event_nested_too_deep_without_an_event_id_is_too_deep() -> None:
    text = '{"type":"page_view","visitor_id":"v1","time":"2026-03-02T08:00:00Z",'
    text += '"url":"https://example.com/","extra":'
    assert isinstance(parse_message(text + _nested_text(253) + "}"), object)
    assert _reason(text + _nested_text(254) + "}") == "too_deep"
    assert _reason(text + _nested_text(1000) + "}") == "too_deep"
    assert _reason(text + _nested_text(1100) + "}") == "not_json"  # past orjson's reader
    # with an event_id nothing needs the digest: the extra field is ignored
    with_id = text.replace('"url"', '"event_id":"e1","url"')
    assert parse_message(with_id + _nested_text(1000) + "}").identity == "e1"
    control = '{"type":"purge","visitor_id":"v1","time":"2026-03-02T08:00:00Z","x":'
    with pytest.raises(EventError) as info:
        parse_control(control + _nested_text(600) + "}")
    assert info.value.reason == "too_deep" and "event_id" in str(info.value)


def test_a_deeply_nested_sender_is_a_wrong_type() -> None:
    event = {**BASE, "type": "chat_message", "time": "2026-03-02T08:00:00Z"}
    with pytest.raises(EventError) as info:
        parse_event({**event, "sender": _nested(100_000)})
    assert info.value.reason == "wrong_type" and info.value.field == "sender"
    text = orjson.dumps(event)[:-1] + b',"sender":' + _nested_text(1000).encode() + b"}"
    assert _reason(text) == "wrong_type"
    assert _reason(orjson.dumps({**event, "sender": "robot" * 1000})) == "bad_value"


def test_what_orjson_cannot_write_and_lone_surrogates_are_event_errors() -> None:
    event = {**BASE, "time": "2026-03-02T08:00:00Z"}
    assert _reason(orjson.dumps(event).decode()[:-1] + ',"x":"\ud800"}') == "not_json"
    assert _reason(orjson.dumps(event)[:-1] + b',"x":"\xed\xa0\x80"}') == "not_json"
    assert _reason(orjson.dumps(event)[:-1] + b',"x":1e309}') == "not_json"
    with pytest.raises(EventError) as info:
        parse_message({**event, "x": 2**70})  # an object from code, not bytes
    assert info.value.reason == "not_json"
    with pytest.raises(EventError) as info:
        parse_message({**event, 1: "a key that is not a string"})
    assert info.value.reason == "not_json"


def test_the_clock_of_a_zone_holds_instants_datetime_cannot() -> None:
    berlin = clock_for("Europe/Berlin")
    # 9999-12-31T23:00:00Z is 10000-01-01T00:00 in Berlin (a Saturday)
    assert berlin.minute_and_day(253402297200.0) == (0, 5)
    assert berlin.texts(253402297200.0) == ("00:00", "sat")
    # 0001-01-01T00:00:00+23:59 is 0000-12-31T00:01Z, a Sunday
    assert berlin.minute_and_day(-62135683140.0)[1] == 6
    assert berlin.minute_and_day(1e15)[1] in range(7)


def test_simulate_skips_a_zero_time_at_once_and_runs_on() -> None:
    rules = rules_of(
        rule(
            "berlin",
            when={"time_of_day": {"between": ["00:00", "23:59"]}},
            timezone="Europe/Berlin",
        )
    )
    lines = [
        orjson.dumps({**BASE, "time": "0001-01-01T00:00:00Z"}).decode(),
        orjson.dumps({**BASE, "time": "9999-12-31T23:00:00Z"}).decode(),
        orjson.dumps({**BASE, "time": "2026-03-02T08:00:00Z"}).decode(),
        orjson.dumps({**BASE, "visitor_id": "v2", "time": "2076-03-02T08:00:00Z"}).decode(),
    ]
    errors = StringIO()
    started = time.process_time()
    commands = list(simulate_lines(lines, Simulation(rules, EngineConfig(), 30.0), errors=errors))
    assert time.process_time() - started < 2.0
    assert [c.visitor_id for c in commands] == ["v1", "v2"]
    report = errors.getvalue().splitlines()
    assert report[0].startswith("line 1: bad_time: time: '0001-01-01T00:00:00Z' is before")
    assert report[1].startswith("line 2: bad_time: time: '9999-12-31T23:00:00Z' is 2200")
    assert report[2] == "2 invalid lines were skipped"


def test_100000_hostile_messages_crash_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="footfall.processor.handling")
    report = run_hostile(hostile_messages(20261203, 100_000), hostile_rules())
    assert report.messages == 100_000
    crashes = "\n".join(f"{stage}: {data!r}\n{trace}" for stage, data, trace in report.crashes)
    assert report.crash_count == 0, crashes
    assert set(report.rejected) == set(REASONS)  # every reason was met
    assert 30_000 < report.accepted < 70_000
    assert report.commands > 10_000


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
_NAMES = ["type", "visitor_id", "time", "event_id", "url", "sender", "customer", "caused_by"]


@given(
    st.sampled_from(["page_view", "chat_message", "identify", "remove"]),
    st.sampled_from([*_NAMES, "extra"]),
    _JSON,
    st.booleans(),
)
def test_any_value_in_any_field_gives_a_message_or_an_event_error(
    kind: str, name: str, value: object, as_bytes: bool
) -> None:
    obj = {**BASE, "type": kind, "time": "2026-03-02T08:00:00Z", "sender": "agent", name: value}
    data: bytes | dict[str, object] = obj
    if as_bytes:
        try:
            data = orjson.dumps(obj)
        except TypeError:  # integers past 64 bits: the standard library writes them
            data = json.dumps(obj).encode("utf-8", "surrogatepass")
    try:
        message = parse_message(data)
    except EventError as exc:
        assert exc.reason in REASONS
    else:
        assert message.visitor_id and EARLIEST <= message.time < LATEST
