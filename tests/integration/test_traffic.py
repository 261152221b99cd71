"""The traffic generator produces to the real broker, keyed by visitor id."""

from __future__ import annotations

import asyncio

import pytest

from footfall.devtraffic import TrafficModel
from footfall.devtraffic.producer import produce_traffic
from footfall.events.parsing import parse_event
from footfall.kafka_clients import make_consumer
from footfall.settings import Settings

pytestmark = pytest.mark.integration


async def test_produces_keyed_events_to_both_topics(kafka_settings: Settings) -> None:
    progress = []
    stats = await produce_traffic(
        kafka_settings,
        TrafficModel(visitors=5, seed=11),
        rate=400,
        count=300,
        answer_invitations=False,
        on_progress=progress.append,
        progress_every=0.1,
    )
    assert stats.total == 300
    topics = [kafka_settings.topic("visitor-events"), kafka_settings.topic("chat-events")]
    consumer = make_consumer(kafka_settings, *topics, group_id=None, enable_auto_commit=False)
    await consumer.start()
    received: dict[str, int] = {}
    try:
        async with asyncio.timeout(30):
            while sum(received.values()) < 300:
                batch = await consumer.getmany(timeout_ms=1000)
                for partition, messages in batch.items():
                    for message in messages:
                        event = parse_event(message.value)
                        assert message.key == event.visitor_id.encode()
                        short = partition.topic.removeprefix(kafka_settings.topic_prefix)
                        received[short] = received.get(short, 0) + 1
    finally:
        await consumer.stop()
    assert received == stats.sent
    assert set(received) == {"visitor-events", "chat-events"}


async def test_stops_on_duration_and_at_about_the_rate(kafka_settings: Settings) -> None:
    stats = await produce_traffic(
        kafka_settings, TrafficModel(seed=12), rate=20, duration=1.5, answer_invitations=True
    )
    assert 25 <= stats.total <= 35
    assert stats.elapsed >= 1.5
