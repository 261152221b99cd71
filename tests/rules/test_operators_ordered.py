"""Counts, numbers, times of day, days of week and date-times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from .helpers import NOW, holds


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ({"eq": 3}, True),
        ({"ne": 3}, False),
        ({"in": [1, 3]}, True),
        ({"not_in": [1, 3]}, False),
        ({"gt": 2}, True),
        ({"gt": 3}, False),
        ({"gte": 3}, True),
        ({"gte": 4}, False),
        ({"lt": 4}, True),
        ({"lt": 3}, False),
        ({"lte": 3}, True),
        ({"lte": 2.5}, False),
        ({"between": [3, 3]}, True),
        ({"between": [1, 2]}, False),
        ({"gte": 2, "lt": 4}, True),
        ({"gte": 2, "lt": 3}, False),
        ({"exists": True}, True),
    ],
)
def test_count_operators(ops: dict[str, object], expected: bool) -> None:
    assert holds({"hits": ops}, {"hits": 3}) is expected


def test_counts_are_zero_not_missing() -> None:
    assert holds({"invites_sent": {"eq": 0}}, {})
    assert holds({"invites_sent": {"lt": 1}}, {})


def test_windowed_count_uses_trailing_window() -> None:
    times = [NOW - 700, NOW - 500, NOW - 60, NOW]
    when = {"hits": {"gte": 3, "window": "10m"}}
    assert holds(when, {"hits": 10}, events={"hits": times})
    assert not holds({"hits": {"gte": 4, "window": "10m"}}, {"hits": 10}, events={"hits": times})
    assert holds({"hits": {"eq": 4, "window": "1h"}}, {"hits": 4}, events={"hits": times})


def test_window_boundary_is_exclusive_at_the_old_end() -> None:
    times = [NOW - 600, NOW - 1]
    assert holds({"hits": {"eq": 1, "window": "10m"}}, {}, events={"hits": times})


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ({"gt": 12}, True),
        ({"gt": 12.5}, False),
        ({"between": [12, 12.5]}, True),
        ({"between": [12.6, 30]}, False),
        ({"eq": 12.5}, True),
        ({"lte": 12.49}, False),
    ],
)
def test_number_operators(ops: dict[str, object], expected: bool) -> None:
    assert holds({"duration_minutes": ops}, {"duration_minutes": 12.5}) is expected


def test_missing_number_fails() -> None:
    assert not holds({"idle_minutes": {"lt": 100}}, {})
    assert not holds({"idle_minutes": {"between": [0, 100]}}, {})


# NOW is Monday 2026-03-02 10:30 UTC = 11:30 in Berlin = 05:30 in New York = 19:30 in Tokyo.


@pytest.mark.parametrize(
    ("ops", "timezone", "expected"),
    [
        ({"between": ["09:00", "17:30"]}, "UTC", True),
        ({"between": ["11:00", "12:00"]}, "Europe/Berlin", True),
        ({"between": ["11:00", "12:00"]}, "UTC", False),
        ({"between": ["22:00", "06:00"]}, "America/New_York", True),
        ({"between": ["22:00", "06:00"]}, "UTC", False),
        ({"between": ["19:30", "19:30"]}, "Asia/Tokyo", True),
        ({"gte": "10:30"}, "UTC", True),
        ({"gt": "10:30"}, "UTC", False),
        ({"lt": "10:31"}, "UTC", True),
        ({"eq": "10:30"}, "UTC", True),
        ({"in": ["09:00", "10:30"]}, "UTC", True),
        ({"exists": False}, "UTC", False),
    ],
)
def test_time_of_day_in_rule_timezone(
    ops: dict[str, object], timezone: str, expected: bool
) -> None:
    assert holds({"time_of_day": ops}, {}, timezone=timezone) is expected


def test_time_of_day_wrapping_range_edges() -> None:
    when = {"time_of_day": {"between": ["22:00", "06:00"]}}
    day = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    for minute, expected in [
        (22 * 60, True),
        (23 * 60 + 59, True),
        (0, True),
        (6 * 60, True),
        (6 * 60 + 1, False),
        (21 * 60 + 59, False),
    ]:
        assert holds(when, {}, now=day + minute * 60) is expected, minute


def test_time_of_day_follows_daylight_saving() -> None:
    when = {"time_of_day": {"between": ["09:00", "09:59"]}}
    winter = datetime(2026, 3, 20, 8, 30, tzinfo=UTC).timestamp()  # 09:30 CET
    summer = datetime(2026, 4, 20, 8, 30, tzinfo=UTC).timestamp()  # 10:30 CEST
    assert holds(when, {}, now=winter, timezone="Europe/Berlin")
    assert not holds(when, {}, now=summer, timezone="Europe/Berlin")


@pytest.mark.parametrize(
    ("ops", "timezone", "expected"),
    [
        ({"eq": "mon"}, "UTC", True),
        ({"eq": "MON"}, "UTC", True),
        ({"eq": "monday"}, "UTC", True),
        ({"in": ["sat", "sun"]}, "UTC", False),
        ({"not_in": ["sat", "sun"]}, "UTC", True),
        ({"ne": "mon"}, "UTC", False),
        ({"eq": "sun"}, "Pacific/Honolulu", False),
        ({"eq": "tue"}, "Pacific/Kiritimati", True),
    ],
)
def test_day_of_week(ops: dict[str, object], timezone: str, expected: bool) -> None:
    assert holds({"day_of_week": ops}, {}, timezone=timezone) is expected


def test_day_of_week_changes_with_timezone() -> None:
    late_sunday_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC).timestamp()
    assert holds({"day_of_week": {"eq": "sun"}}, {}, now=late_sunday_utc)
    assert holds({"day_of_week": {"eq": "mon"}}, {}, now=late_sunday_utc, timezone="Europe/Berlin")


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ({"within": "1h"}, True),
        ({"within": "30m"}, False),
        ({"within": "45m"}, True),
        ({"older_than": "30m"}, True),
        ({"older_than": "45m"}, False),
        ({"older_than": "1h"}, False),
        ({"gt": "2026-03-02T09:00:00Z"}, True),
        ({"gt": "2026-03-02T11:00:00+01:00"}, False),
        ({"gte": "2026-03-02T10:45:00+01:00"}, True),
        ({"lt": "2026-03-02T09:45:00Z"}, False),
        ({"between": ["2026-03-02T00:00:00Z", "2026-03-02T23:59:59Z"]}, True),
        ({"eq": "2026-03-02T09:45:00Z"}, True),
        ({"exists": True}, True),
    ],
)
def test_datetime_operators(ops: dict[str, object], expected: bool) -> None:
    started = NOW - 45 * 60  # 09:45 UTC
    assert holds({"session_start": ops}, {"session_start": started}) is expected


def test_missing_datetime_fails_within_and_older_than() -> None:
    assert not holds({"last_chat_at": {"within": "7d"}}, {})
    assert not holds({"last_chat_at": {"older_than": "7d"}}, {})
    assert holds({"last_chat_at": {"exists": False}}, {})
