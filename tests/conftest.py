"""Shared fixtures: the real Kafka broker (session-wide) and per-test settings on it.

A test that needs the broker and cannot get it fails: the fixture raises, it never
skips.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from footfall.devkafka import LocalKafka
from footfall.settings import Settings
from footfall.topics import ensure_topics


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[LocalKafka]:
    """A real single-node KRaft broker on a free loopback port, for the whole session."""
    broker = LocalKafka()
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
async def kafka_settings(
    kafka_broker: LocalKafka, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    """Settings on the test broker with a unique topic prefix and every topic created."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    settings = Settings(
        broker=kafka_broker.bootstrap,
        topic_prefix=prefix,
        partitions=4,
        state_dir=tmp_path_factory.mktemp("state"),
        log_dir=tmp_path_factory.mktemp("logs"),
        store="memory://",
    )
    await ensure_topics(settings)
    yield settings
