"""The broker harness works: JSON through aiokafka, topics as SPEC §1 says."""

from __future__ import annotations

import orjson
import pytest

from footfall.kafka_clients import make_admin, make_consumer, make_producer
from footfall.settings import Settings
from footfall.topics import TOPICS, ensure_topics

pytestmark = pytest.mark.integration


async def test_produce_and_consume_json(kafka_settings: Settings) -> None:
    topic = kafka_settings.topic("visitor-events")
    events = [{"type": "page_view", "visitor_id": f"v{i}", "n": i} for i in range(20)]
    producer = make_producer(kafka_settings)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic, orjson.dumps(event), key=event["visitor_id"].encode()
            )
    finally:
        await producer.stop()

    consumer = make_consumer(kafka_settings, topic, group_id="roundtrip")
    await consumer.start()
    try:
        received = []
        while len(received) < len(events):
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, "no message arrived within 5 s"
            for records in batch.values():
                received.extend((r.key.decode(), orjson.loads(r.value)) for r in records)
    finally:
        await consumer.stop()
    assert sorted(v["n"] for _, v in received) == list(range(20))
    assert all(key == value["visitor_id"] for key, value in received)


async def test_topics_are_co_partitioned_and_compacted(kafka_settings: Settings) -> None:
    # The fixture already created them: a second call creates nothing (idempotent).
    assert await ensure_topics(kafka_settings) == []
    admin = make_admin(kafka_settings)
    await admin.start()
    try:
        names = [kafka_settings.topic(t.name) for t in TOPICS]
        described = await admin.describe_topics(names)
        partitions = {d["topic"]: len(d["partitions"]) for d in described}
        from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

        configs = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, kafka_settings.topic(n))
                for n in ("rules", "actions")
            ]
        )
    finally:
        await admin.close()
    for spec in TOPICS:
        name = kafka_settings.topic(spec.name)
        assert partitions[name] == (4 if spec.visitor_keyed else 1), name
    policies = {}
    for response in configs:
        for resource in response.resources:
            entries = {c[0]: c[1] for c in resource[4]}
            policies[resource[3]] = entries["cleanup.policy"]
    assert policies[kafka_settings.topic("rules")] == "compact"
    assert policies[kafka_settings.topic("actions")] == "delete"
