from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from footfall.processor.partitioning import partition_for


def test_partition_for_agrees_with_the_default_partitioner() -> None:
    partitioner = DefaultPartitioner()
    partitions = list(range(8))
    for n in range(500):
        key = f"visitor-{n}".encode()
        assert partition_for(key, 8) == partitioner(key, partitions, partitions)


def test_keys_spread_over_partitions() -> None:
    used = {partition_for(f"v{n}".encode(), 4) for n in range(100)}
    assert used == {0, 1, 2, 3}
