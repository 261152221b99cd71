from __future__ import annotations

import pytest

from footfall.durations import format_duration, parse_duration
from footfall.errors import DurationError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("15m", 900.0),
        ("2h", 7200.0),
        ("7d", 604800.0),
        ("1h30m", 5400.0),
        ("0", 0.0),
        ("250ms", 0.25),
        ("1.5h", 5400.0),
        (" 2H ", 7200.0),
        (45, 45.0),
    ],
)
def test_parse(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "10", "10x", "1h 30m", "-5s", "h1", "1h30", True, None])
def test_reject(text: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds", [1, 59, 60, 61, 3600, 5400, 86400 + 3661])
def test_format_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
