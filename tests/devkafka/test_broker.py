"""LocalKafka on a kept data directory: killed with SIGKILL and started again."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from footfall.devkafka import BrokerError, LocalKafka
from footfall.devkafka import broker as broker_module
from footfall.devkafka.broker import new_cluster_id
from footfall.kafka_clients import make_consumer, make_producer
from footfall.settings import Settings
from footfall.topics import ensure_topics


async def _produce(settings: Settings, topic: str, values: list[bytes]) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def _read_all(settings: Settings, topic: str, count: int) -> list[bytes]:
    consumer = make_consumer(settings, topic, auto_offset_reset="earliest")
    await consumer.start()
    found: list[bytes] = []
    try:
        async with asyncio.timeout(60):
            while len(found) < count:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    found.extend(r.value for r in records if r.value is not None)
    finally:
        await consumer.stop()
    return found


@pytest.mark.integration
async def test_topics_and_messages_survive_a_sigkill_bounce_on_the_same_port(
    tmp_path: Path,
) -> None:
    broker = LocalKafka(data_dir=tmp_path / "kafka")
    bootstrap = broker.start()
    try:
        settings = Settings(broker=bootstrap, topic_prefix="bounce.", partitions=2)
        await ensure_topics(settings)
        topic = settings.topic("visitor-events")
        await _produce(settings, topic, [b"one", b"two"])
        pid = broker.process.pid if broker.process is not None else None

        assert broker.restart() == bootstrap
        assert broker.process is not None and broker.process.pid != pid

        await _produce(settings, topic, [b"three"])
        assert sorted(await _read_all(settings, topic, 3)) == [b"one", b"three", b"two"]
    finally:
        broker.stop()
    # the caller's directory is kept on stop, and a new broker on it finds the data
    assert (tmp_path / "kafka" / "data" / "meta.properties").exists()
    again = LocalKafka(
        data_dir=tmp_path / "kafka", port=broker.port, controller_port=broker.controller_port
    )
    again.start()
    try:
        assert sorted(await _read_all(settings, topic, 3)) == [b"one", b"three", b"two"]
    finally:
        again.stop()


def test_kill_does_not_remove_the_data_dir_and_restart_needs_one(tmp_path: Path) -> None:
    broker = LocalKafka()
    with pytest.raises(BrokerError, match="data_dir"):
        broker.restart()
    kept = LocalKafka(data_dir=tmp_path / "kafka")
    kept.kill()  # not started: nothing to kill
    kept.stop()
    assert kept.data_dir == tmp_path / "kafka"


def test_cluster_ids_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # the storage tool reads "-..." as an option: one start in 64 used to fail
    values = iter([uuid.UUID(bytes=b"\xf8" + b"\x00" * 15), uuid.UUID(int=7)])
    monkeypatch.setattr(broker_module.uuid, "uuid4", lambda: next(values))
    cluster_id = new_cluster_id()
    assert not cluster_id.startswith("-") and len(cluster_id) == 22
    monkeypatch.undo()
    assert all(not new_cluster_id().startswith("-") for _ in range(2000))
