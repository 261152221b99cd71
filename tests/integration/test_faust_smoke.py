"""faust-streaming works against the pinned Kafka: an agent reads one topic, writes another."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import faust
import orjson
import pytest

from footfall.kafka_clients import make_consumer, make_producer
from footfall.settings import Settings

pytestmark = pytest.mark.integration


async def test_faust_agent_forwards_messages(kafka_settings: Settings, tmp_path: Path) -> None:
    source_name = kafka_settings.topic("visitor-events")
    sink_name = kafka_settings.topic("actions")
    app = faust.App(
        f"smoke-{uuid.uuid4().hex[:8]}",
        broker=f"kafka://{kafka_settings.broker}",
        store="memory://",
        datadir=str(tmp_path),
        web_enabled=False,
        topic_partitions=kafka_settings.partitions,
        topic_replication_factor=1,
        broker_session_timeout=6.0,
        consumer_auto_offset_reset="earliest",
    )
    source = app.topic(source_name, key_type=bytes, value_type=bytes, value_serializer="raw")
    sink = app.topic(sink_name, key_type=bytes, value_type=bytes, value_serializer="raw")

    @app.agent(source)
    async def forward(stream: faust.StreamT[bytes]) -> None:
        async for key, value in stream.items():
            event = orjson.loads(value)
            await sink.send(key=key, value=orjson.dumps({"seen": event["n"]}))

    await app.start()
    try:
        producer = make_producer(kafka_settings)
        await producer.start()
        try:
            for n in range(10):
                await producer.send_and_wait(
                    source_name, orjson.dumps({"n": n}), key=f"v{n}".encode()
                )
        finally:
            await producer.stop()

        consumer = make_consumer(kafka_settings, sink_name, group_id="smoke-check")
        await consumer.start()
        try:
            seen: list[int] = []
            async with asyncio.timeout(60):
                while len(seen) < 10:
                    batch = await consumer.getmany(timeout_ms=1000)
                    for records in batch.values():
                        seen.extend(orjson.loads(r.value)["seen"] for r in records)
        finally:
            await consumer.stop()
    finally:
        await app.stop()
    assert sorted(seen) == list(range(10))
