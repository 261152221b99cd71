"""The traffic generator produces to the real broker, keyed by visitor id."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from footfall.devtraffic import TrafficModel
from footfall.devtraffic.producer import produce_traffic
from footfall.events.parsing import parse_event
from footfall.kafka_clients import make_consumer, make_producer
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


ANSWERS = {"chat_invitation_accepted", "chat_invitation_rejected", "chat_invitation_ignored"}


async def test_answers_invitations_read_from_chat_invitations(kafka_settings: Settings) -> None:
    """Invitations published to chat-invitations (as workers do) are answered on chat-events."""
    stop = asyncio.Event()
    traffic = asyncio.create_task(
        produce_traffic(
            kafka_settings,
            TrafficModel(visitors=20, seed=13),
            rate=40,
            duration=60,
            answer_invitations=True,
            stop=stop,
        )
    )
    events = make_consumer(
        kafka_settings,
        kafka_settings.topic("visitor-events"),
        kafka_settings.topic("chat-events"),
        group_id=None,
    )
    producer = make_producer(kafka_settings)
    await events.start()
    await producer.start()
    answered: dict[str, str] = {}
    sent = 0
    latest_visitor: str | None = None
    try:
        async with asyncio.timeout(45):
            while not answered:
                for messages in (await events.getmany(timeout_ms=250)).values():
                    for message in messages:
                        value = orjson.loads(message.value)
                        if value["type"] == "page_view":
                            latest_visitor = value["visitor_id"]
                        invitation = value.get("invitation_id", "")
                        if value["type"] in ANSWERS and invitation.startswith("inv-test-"):
                            answered[invitation] = value["type"]
                if latest_visitor is not None:
                    sent += 1
                    invitation = {"visitor_id": latest_visitor, "invitation_id": f"inv-test-{sent}"}
                    await producer.send_and_wait(
                        kafka_settings.topic("chat-invitations"),
                        orjson.dumps(invitation),
                        key=latest_visitor.encode(),
                    )
    finally:
        stop.set()
        stats = await traffic
        await events.stop()
        await producer.stop()
    assert answered
    assert stats.invitations_answered >= len(answered)
    assert stats.invitations_seen <= sent
