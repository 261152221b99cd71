"""Which partition a key lands on: Kafka's default partitioner (murmur2), as producers use."""

from __future__ import annotations

from aiokafka.partitioner import murmur2

__all__ = ["partition_for"]


def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner picks for ``key`` among ``partitions``.

    The same function as the Java client's and aiokafka's ``DefaultPartitioner`` for keyed
    messages, so a visitor's events, state and commands all share one partition number.
    """
    return (int(murmur2(key)) & 0x7FFFFFFF) % partitions
