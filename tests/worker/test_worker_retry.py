import pytest

from footfall.worker.retry import RetryEnvelope, RetryPolicy, parse_retry_after

SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0)


def test_schedule_steps_with_jitter_bounds() -> None:
    policy = RetryPolicy(SCHEDULE)
    for attempt, base in enumerate(SCHEDULE, start=1):
        low = policy.delay(attempt, rand=lambda: 0.0)
        high = policy.delay(attempt, rand=lambda: 0.999999)
        assert low == pytest.approx(base * 0.8)
        assert high == pytest.approx(base * 1.2, rel=1e-5)
    assert policy.max_attempts == 6


def test_exhausted_after_the_last_step() -> None:
    policy = RetryPolicy(SCHEDULE)
    assert policy.delay(len(SCHEDULE) + 1) is None
    assert RetryPolicy(()).delay(1) is None


def test_jitter_spreads_delays() -> None:
    policy = RetryPolicy(SCHEDULE)
    delays = {policy.delay(1) for _ in range(50)}
    assert len(delays) > 10
    assert all(d is not None and 4.0 <= d <= 6.0 for d in delays)


def test_retry_after_is_a_minimum_capped_at_the_longest_step() -> None:
    policy = RetryPolicy((1.0, 2.0))
    assert policy.delay(1, retry_after=1.5, rand=lambda: 0.5) == pytest.approx(1.5)
    assert policy.delay(1, retry_after=0.1, rand=lambda: 0.5) == pytest.approx(1.0)
    assert policy.delay(1, retry_after=3600, rand=lambda: 0.5) == pytest.approx(2.0)


def test_parse_retry_after() -> None:
    assert parse_retry_after("120", now=0) == 120
    assert parse_retry_after(None, now=0) is None
    assert parse_retry_after("soon", now=0) is None
    # Thu, 26 Nov 2026 10:00:30 GMT is 30 s after 10:00:00 UTC
    from datetime import UTC, datetime

    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("Thu, 26 Nov 2026 10:00:30 GMT", now=now) == pytest.approx(30.0)
    assert parse_retry_after("Thu, 26 Nov 2026 09:00:00 GMT", now=now) == 0.0


def test_envelope_roundtrip_and_rejection() -> None:
    env = RetryEnvelope(
        {"command_id": "c"}, 2, 123.5, {"topic": "t", "partition": 1, "offset": 9}, "e"
    )
    assert RetryEnvelope.decode(env.encode()) == env
    for bad in (
        b"[]",
        b'{"command": {}, "attempts": 0, "due": 1}',
        b'{"attempts": 1, "due": 1}',
        None,
    ):
        with pytest.raises(ValueError):
            RetryEnvelope.decode(bad)
