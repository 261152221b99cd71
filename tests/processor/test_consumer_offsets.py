"""The processor's Faust consumer commits no offset the agents did not handle.

Faust counts the offsets a stream jumped over as acknowledged ("gaps"), and its
streams acknowledge the messages read before a rebalance that they drop. Around a
rebalance it can jump over messages it fetched and then dropped: in the fault drill
the group then committed past two page views nobody handled (docs/reliability.md).
These tests drive Faust's own bookkeeping, no broker needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faust.types import TP
from faust.types.tuples import ConsumerMessage

from footfall.processor.faust_app import create_app
from footfall.processor.testing import idle_wiring
from footfall.settings import Settings

TOPIC = "footfall.visitor-events"


def _consumer(tmp_path: Path) -> Any:
    wiring = idle_wiring()
    settings = Settings(broker="127.0.0.1:19092", store="memory://", state_dir=tmp_path)
    app = create_app(settings, wiring, canonical_url="http://x:1", ticks=False).app
    app.topics._acking_topics.add(TOPIC)  # what subscribing to the agent's topics does
    app.consumer_generation_id = 3
    return app.consumer


def _message(offset: int, generation: int = 3) -> ConsumerMessage:
    tp = TP(TOPIC, 0)
    return ConsumerMessage(
        TOPIC, 0, offset, 0.0, 0, [], b"v-1", b"{}", None, 3, 2, tp, generation_id=generation
    )


async def test_offsets_the_stream_jumped_over_are_not_committed(tmp_path: Path) -> None:
    consumer = _consumer(tmp_path)
    tp = TP(TOPIC, 0)
    consumer._committed_offset[tp] = 114  # the committed offset, sought after recovery
    # The stream's next message is 124: 114-123 were fetched, then dropped by Faust.
    # Its fetch loop records the jump as a gap ...
    await consumer._add_gap(tp, 115, 124)
    # ... and acknowledging 124 must not make 114-123 committable.
    assert consumer.ack(_message(124))
    assert consumer._new_offset(tp) is None


async def test_a_confirmed_gap_is_committed(tmp_path: Path) -> None:
    consumer = _consumer(tmp_path)
    tp = TP(TOPIC, 0)
    consumer._committed_offset[tp] = 10
    await consumer.confirm_gap(tp, 10, 12)  # read again: Kafka holds nothing at 10, 11
    assert consumer.ack(_message(12))
    assert consumer._new_offset(tp) == 13


async def test_messages_read_before_the_rebalance_are_not_acknowledged(tmp_path: Path) -> None:
    consumer = _consumer(tmp_path)
    tp = TP(TOPIC, 0)
    consumer._committed_offset[tp] = 50
    assert not consumer.ack(_message(51, generation=2))  # dropped by a stream, unhandled
    assert consumer.ack(_message(50))
    assert consumer._new_offset(tp) == 51


def test_a_partition_sought_back_is_read_again_whole(tmp_path: Path) -> None:
    consumer = _consumer(tmp_path)
    tp = TP(TOPIC, 0)
    offsets = consumer._read_offset  # below which Faust's fetch loop drops messages
    offsets.pinned[tp] = 114  # what seek_back does before seeking
    offsets[tp] = 125  # a message fetched before the seek, handed on after it
    assert offsets[tp] == 114
    consumer.release(tp)
    offsets[tp] = 125
    assert offsets[tp] == 125
    assert offsets[TP(TOPIC, 1)] is None  # unknown, as Faust's own mapping answers


async def test_messages_dropped_unhandled_are_not_waited_for(tmp_path: Path) -> None:
    # a stop or a rebalance waits (wait_empty) for every message read and not acked:
    # one the agents drop must not be waited for, nor counted as acknowledged
    consumer = _consumer(tmp_path)
    tp = TP(TOPIC, 0)
    consumer._committed_offset[tp] = 10
    dropped, stale = _message(12), _message(13, generation=2)
    consumer.track_message(dropped)
    consumer.track_message(stale)
    consumer.forget(dropped)
    assert not consumer.ack(stale)  # read before the last rebalance
    assert not consumer._unacked_messages
    assert consumer._new_offset(tp) is None
