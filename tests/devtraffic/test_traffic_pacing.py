"""Pacing, printed traffic and parsing of chat-invitations messages."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from footfall.cli.main import main
from footfall.devtraffic import Pacer, TrafficModel, virtual_times
from footfall.devtraffic.producer import TrafficStats, parse_invitation, print_traffic
from footfall.events.parsing import parse_event


def test_pacer_sends_at_the_rate_and_catches_up_in_bursts() -> None:
    pacer = Pacer(rate=10)
    assert pacer.due(0.0) == 1
    assert pacer.due(0.05) == 0
    assert pacer.delay(0.05) == pytest.approx(0.05)
    assert pacer.due(0.1) == 1
    assert pacer.due(1.0) == 9  # fell behind: the missed ones at once
    assert pacer.sent == 11
    small = Pacer(rate=1000, burst=100)
    assert small.due(10.0) == 100


def test_pacer_stops_at_count() -> None:
    pacer = Pacer(rate=100, count=5)
    assert pacer.due(10.0) == 5
    assert pacer.done
    assert pacer.due(20.0) == 0


def test_pacer_rejects_bad_rates() -> None:
    with pytest.raises(ValueError):
        Pacer(rate=0)
    with pytest.raises(ValueError):
        list(virtual_times(datetime.now(UTC), -1, 3))


def test_virtual_times_are_evenly_spaced() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    times = list(virtual_times(start, 4, 5))
    assert times[0] == start
    assert times[-1] - times[0] == timedelta(seconds=1)


def test_print_traffic_writes_json_lines_with_virtual_times() -> None:
    out = io.BytesIO()
    start = datetime(2026, 11, 26, 9, tzinfo=UTC)
    written = print_traffic(TrafficModel(seed=1), out, rate=2, count=6, start=start)
    lines = out.getvalue().splitlines()
    assert written == len(lines) == 6
    events = [parse_event(line) for line in lines]
    assert events[0].time == start.timestamp()
    assert events[-1].time == start.timestamp() + 2.5


def test_traffic_command_prints_repeatable_lines(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    argv = ["traffic", "--print", "--count", "20", "--seed", "9", "--start", "2026-11-26T09:00:00Z"]
    assert main(argv) == 0
    first = capsysbinary.readouterr().out
    assert main(argv) == 0
    assert capsysbinary.readouterr().out == first
    lines = [orjson.loads(line) for line in first.splitlines()]
    assert len(lines) == 20
    assert lines[0]["time"] == "2026-11-26T09:00:00.000Z"


def test_traffic_command_needs_count_to_print(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traffic", "--print"]) == 2
    assert "--count" in capsys.readouterr().err


def test_parse_invitation_reads_ids_and_ignores_junk() -> None:
    value = orjson.dumps({"invitation_id": "i-1", "agent": "alice", "department": 3})
    assert parse_invitation(b"v-1", value) == {
        "visitor_id": "v-1",
        "invitation_id": "i-1",
        "agent": "alice",
    }
    both = orjson.dumps({"visitor_id": "v-2", "invitation_id": "i-2"})
    assert parse_invitation(None, both) == {"visitor_id": "v-2", "invitation_id": "i-2"}
    assert parse_invitation(b"v-1", b"not json") is None
    assert parse_invitation(b"v-1", b"[1]") is None
    assert parse_invitation(b"v-1", orjson.dumps({"visitor_id": "v-1"})) is None
    assert parse_invitation(b"v-1", None) is None


def test_stats_describe_the_progress() -> None:
    stats = TrafficStats(sent={"visitor-events": 8, "chat-events": 2}, online=4, elapsed=2.0)
    text = stats.describe()
    assert stats.total == 10
    assert "10 events sent" in text and "5.0/s" in text and "4 visitors online" in text
