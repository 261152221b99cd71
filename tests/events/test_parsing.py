from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from footfall.events import (
    CausedBy,
    Control,
    Event,
    EventError,
    encode,
    format_time,
    parse_event,
    parse_message,
    parse_time,
)

BASE = {"type": "page_view", "visitor_id": "v1", "time": "2026-03-02T08:00:00Z", "url": "/"}


def reason_of(data: object, **kw: int) -> str:
    with pytest.raises(EventError) as info:
        parse_message(data if isinstance(data, bytes) else orjson.dumps(data), **kw)
    return info.value.reason


def test_page_view_fields_are_read() -> None:
    event = parse_event(
        orjson.dumps(
            {
                **BASE,
                "event_id": "e1",
                "session_id": "s1",
                "title": "Home",
                "virtual_page": "/home",
                "country": "DE",
                "customer": {"name": "Ann", "email": "ann@example.com"},
                "extra": "ignored",
            }
        )
    )
    assert event.type == "page_view"
    assert event.time == 1772438400.0
    assert event.event_id == "e1" and event.identity == "e1"
    assert event.customer_name == "Ann" and event.customer_email == "ann@example.com"
    assert event.country == "DE" and event.virtual_page == "/home"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not_json"),
        (b"\xff\xfe", "not_json"),
        (b"[1, 2]", "not_object"),
        ({"visitor_id": "v1", "time": "2026-03-02T08:00:00Z"}, "missing_field"),
        ({**BASE, "type": "page_hit"}, "unknown_type"),
        ({**BASE, "visitor_id": ""}, "bad_value"),
        ({**BASE, "visitor_id": "x" * 129}, "bad_value"),
        ({**BASE, "visitor_id": 7}, "wrong_type"),
        ({**BASE, "event_id": "e" * 129}, "bad_value"),
        ({**BASE, "time": "2026-03-02T08:00:00"}, "bad_time"),
        ({**BASE, "time": "2026-03-02"}, "bad_time"),
        ({**BASE, "time": "2026-13-02T08:00:00Z"}, "bad_time"),
        ({**BASE, "time": 1772438400}, "wrong_type"),
        ({k: v for k, v in BASE.items() if k != "url"}, "missing_field"),
        ({**BASE, "title": 5}, "wrong_type"),
        ({**BASE, "customer": "ann"}, "wrong_type"),
        ({**BASE, "customer": {"email": 1}}, "wrong_type"),
        ({**BASE, "type": "chat_message"}, "missing_field"),
        ({**BASE, "type": "chat_message", "sender": "bot"}, "bad_value"),
        ({**BASE, "caused_by": {"rule_id": "r", "depth": -1}}, "wrong_type"),
        ({**BASE, "type": "remove", "time": "yesterday"}, "bad_time"),
    ],
)
def test_rejections_carry_a_reason(data: object, reason: str) -> None:
    assert reason_of(data) == reason


def test_size_limit_is_configurable() -> None:
    big = orjson.dumps({**BASE, "title": "x" * 2000})
    assert reason_of(big, max_bytes=1000) == "too_large"
    assert parse_event(big, max_bytes=4000).title == "x" * 2000


def test_messages_say_what_to_do() -> None:
    with pytest.raises(EventError) as info:
        parse_event({**BASE, "time": "2026-03-02 08:00"})
    assert "RFC 3339" in str(info.value) and info.value.field == "time"


def test_times_need_an_offset_and_keep_fractions() -> None:
    assert parse_time("2026-03-02T09:00:00.250+01:00") == 1772438400.25
    assert parse_time("2026-03-02t08:00:00z") == 1772438400.0
    with pytest.raises(EventError):
        parse_time("2026-03-02T08:00:00.1")


def test_identity_without_event_id_is_a_canonical_digest() -> None:
    a = parse_event(
        b'{"type":"page_view","visitor_id":"v1","time":"2026-03-02T08:00:00Z","url":"/"}'
    )
    b = parse_event(
        b'{"url":"/","time":"2026-03-02T08:00:00Z","visitor_id":"v1","type":"page_view"}'
    )
    c = parse_event({**BASE, "url": "/other"})
    assert a.identity == b.identity != c.identity
    assert a.identity.startswith("sha:")


def test_browser_and_os_derived_from_user_agent() -> None:
    ua = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    )
    event = parse_event({**BASE, "user_agent": ua})
    assert event.browser == "Chrome" and event.os == "Windows"
    given_ = parse_event({**BASE, "user_agent": ua, "browser": "Mine"})
    assert given_.browser == "Mine" and given_.os == "Windows"


def test_chat_event_and_provenance() -> None:
    event = parse_event(
        {
            "type": "chat_message",
            "visitor_id": "v1",
            "time": "2026-03-02T08:00:00Z",
            "sender": "visitor",
            "text": "hello",
            "chat_id": "c1",
            "source": "rule:r1",
            "caused_by": {"rule_id": "r1", "depth": 1},
        }
    )
    assert event.sender == "visitor" and event.text == "hello"
    assert event.caused_by == CausedBy("r1", 1) and event.depth == 1


def test_control_messages() -> None:
    control = parse_message({"type": "purge", "visitor_id": "v1", "time": "2026-03-02T08:00:00Z"})
    assert isinstance(control, Control) and control.type == "purge"
    assert control.identity.startswith("sha:")


def test_encode_round_trips() -> None:
    event = parse_event(
        {**BASE, "customer": {"name": "A"}, "caused_by": {"rule_id": "r", "depth": 2}}
    )
    again = parse_message(encode(event))
    assert isinstance(again, Event)
    assert again.customer_name == "A" and again.caused_by == CausedBy("r", 2)
    assert again.time == event.time and again.url == event.url


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
            max_leaves=8,
        ),
        max_size=8,
    )
)
def test_arbitrary_objects_parse_or_raise_event_error(obj: dict[str, object]) -> None:
    try:
        parse_message(json.dumps(obj).encode())
    except EventError as exc:
        assert exc.reason in {
            "missing_field",
            "wrong_type",
            "bad_value",
            "unknown_type",
            "bad_time",
            "not_json",
        }


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_format_time_is_rfc3339_utc_milliseconds(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC, microsecond=(moment.microsecond // 1000) * 1000)
    text = format_time(aware.timestamp())
    assert text == aware.strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}Z"
    assert math.isclose(parse_time(text), aware.timestamp(), abs_tol=1e-6)


def reference_time(text: str) -> float:
    """Epoch seconds through ``datetime`` (what ``parse_time`` computes arithmetically)."""
    m = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
        r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
        text,
    )
    assert m is not None
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = m.groups()
    offset = (
        UTC
        if zulu
        else timezone((1 if sign == "+" else -1) * timedelta(hours=int(oh), minutes=int(om)))
    )
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), 0, offset
    )
    seconds = (moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    if frac:
        seconds += int(frac) / 10 ** len(frac)
    return seconds


def two(top: int) -> st.SearchStrategy[str]:
    return st.integers(0, top).map(lambda n: f"{n:02d}")


@given(
    st.integers(0, 9999).map(lambda n: f"{n:04d}"),
    two(14),
    two(32),
    two(25),
    two(61),
    two(61),
    st.one_of(st.just(""), st.integers(0, 10**9 - 1).map(lambda n: f".{n}")),
    st.one_of(
        st.sampled_from(["Z", "z"]),
        st.tuples(st.sampled_from("+-"), two(25), two(99)).map(lambda t: f"{t[0]}{t[1]}:{t[2]}"),
    ),
)
def test_parse_time_agrees_with_datetime_or_rejects_as_it_does(
    year: str, month: str, day: str, hour: str, minute: str, second: str, frac: str, zone: str
) -> None:
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second}{frac}{zone}"
    try:
        expected = reference_time(text)
    except ValueError as exc:
        with pytest.raises(EventError) as info:
            parse_time(text)
        assert info.value.reason == "bad_time"
        assert str(info.value) == f"time: {text!r}: {exc}"
    else:
        assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-29T23:59:59.999Z",  # leap day
        "2000-02-29T00:00:00+23:59",  # a leap century, the largest offset
        "0001-01-01T00:00:00-23:59",  # the first day, before the epoch
        "9999-12-31T23:59:59+00:99",  # minutes over 59 add up (as timedelta does)
        "1969-12-31T23:59:59.5Z",
    ],
)
def test_parse_time_at_the_edges(text: str) -> None:
    assert parse_time(text) == reference_time(text)


@pytest.mark.parametrize(
    "text",
    [
        "1900-02-29T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-03-02T24:00:00Z",
        "2026-03-02T08:60:00Z",
        "2026-03-02T08:00:60Z",
        "2026-03-02T08:00:00+24:00",
        "2026-13-01T00:00:00Z",
    ],
)
def test_parse_time_rejects_what_does_not_exist(text: str) -> None:
    with pytest.raises(EventError) as info:
        parse_time(text)
    assert info.value.reason == "bad_time" and text in str(info.value)


@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from("Tt "),
    st.sampled_from(["00", "07", "59", "60", "61", "٠٥", "5٣", "a1"]),
    st.sampled_from(["000", "250", "999", "٣٣٣", "1x3"]),
)
def test_a_minute_parsed_before_gives_the_same_results(
    moment: datetime, separator: str, second: str, millis: str
) -> None:
    prefix = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}{separator}"
    prefix += f"{moment.hour:02d}:{moment.minute:02d}:"
    seeded = f"{prefix}00.000Z"
    assert parse_time(seeded) == reference_time(seeded)  # the minute is now remembered
    text = f"{prefix}{second}.{millis}Z"
    try:
        expected = reference_time(text)
    except (ValueError, AssertionError):  # out of range, or not the RFC 3339 form at all
        with pytest.raises(EventError):
            parse_time(text)
    else:
        assert parse_time(text) == expected


@pytest.mark.parametrize("kind", [[], {}, ["remove"], {"purge": 1}, 1.5, None])
def test_a_type_that_is_not_a_string_is_an_event_error(kind: object) -> None:
    with pytest.raises(EventError) as info:
        parse_message(orjson.dumps({**BASE, "type": kind}))
    assert info.value.reason in {"wrong_type", "missing_field"}
