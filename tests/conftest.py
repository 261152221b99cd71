"""Shared fixtures: the real Kafka broker (session-wide) and per-test settings on it.

A test that needs the broker and cannot get it fails: the fixture raises, it never
skips.
"""

from __future__ import annotations

import random
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

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


def _free_port_block(size: int) -> int:
    """A port P such that P..P+size-1 are free on 127.0.0.1 right now.

    Taken below the kernel's ephemeral range (32768 and up), so that the free ports the
    broker and the SMTP sink pick for themselves cannot land inside the block.
    """
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 32000 - size)
        sockets = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free ports")


@pytest.fixture
def port_block() -> Callable[[int], int]:
    """``port_block(n)`` gives the first of n consecutive free loopback ports.

    For services such as ``footfall dev`` that put the processor on port P and its
    workers on P+1, P+2, ...
    """
    return _free_port_block
