"""The Faust application: topics, tables and agents wired to the processor's steps.

Built by :func:`create_app` (nothing at import time). One agent reads
``visitor-events``, ``chat-events``, ``control`` and the internal ticks topic as one
stream, so that every input of one visitor is handled in order by one coroutine
against the ``visitors`` table; all four topics have ``settings.partitions``
partitions and are keyed by visitor id, so they are co-partitioned with the table.
A second agent reads the internal throttle topic (keyed by ``<rule id>#<action
index>``) against the ``rule-throttle`` table. A leader-only task sends one tick per
partition.

Both agents work in small batches: handle the batch against a write buffer, publish
its output and wait for Kafka's acknowledgement, then write the batch's state to the
table (whose changelog partition follows the key, as the input's does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time as _time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import faust
import faust.streams as faust_streams
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from footfall.processor.handling import (
    CHAT_EVENTS,
    CONTROL,
    THROTTLE,
    TICKS,
    VISITOR_EVENTS,
    Outgoing,
)
from footfall.processor.partitioning import partition_for
from footfall.processor.positions import Admission, InputPositions
from footfall.processor.ticks import Tick, encode_tick, next_tick_time
from footfall.settings import Settings

__all__ = [
    "FaustWiring",
    "InputMessage",
    "ProcessorApp",
    "create_app",
    "internal_topics",
    "lag_probe",
]

log = logging.getLogger(__name__)

VISITOR_TABLE = "visitors"
THROTTLE_TABLE = "rule-throttle"
#: How long a fetch waits on the broker for data (Faust fixes it at 1,500 ms).
FETCH_WAIT_MS = 50


def internal_topics(settings: Settings) -> list[tuple[str, int, dict[str, str]]]:
    """The processor's own topics, for ``ensure_topics(settings, extra=...)``.

    Ticks and throttle candidates are short-lived: a day of retention is plenty.
    """
    config = {"retention.ms": str(24 * 3600 * 1000)}
    return [
        (settings.topic(TICKS), settings.partitions, config),
        (settings.topic(THROTTLE), settings.partitions, config),
    ]


@dataclass(frozen=True, slots=True)
class InputMessage:
    """One consumed message: the short topic name, its position, key and value."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass
class FaustWiring:
    """What the agents call, batch by batch.

    ``visitor_batch`` handles a batch against a buffered table and returns what to
    publish; ``publish`` produces it and returns once Kafka has acknowledged all of it;
    then ``visitor_commit`` writes the batch's state.
    ``throttle_batch``/``throttle_commit`` do the same for throttle candidates.
    """

    publish: Callable[[list[Outgoing]], Awaitable[None]]
    visitor_batch: Callable[[list[InputMessage]], list[Outgoing]]
    visitor_commit: Callable[[], None]
    throttle_batch: Callable[[list[bytes | None]], list[Outgoing]]
    throttle_commit: Callable[[], None]
    observe: Callable[[float], None]
    on_recovered: Callable[[], None]


class KeyPartitionedTable(faust.Table[bytes, bytes]):
    """A table whose changelog partition is the one Kafka's partitioner gives the key.

    The agents write their state after a batch's output is acknowledged, outside the
    event that caused it, so the partition cannot come from "the current event" (Faust's
    default). Keys are raw UTF-8 bytes, as on the input topics, so a visitor's
    changelog records share the partition of its events.
    """

    def partition_for_key(self, key: Any) -> int:
        partitions = self.partitions or self.app.conf.topic_partitions
        return partition_for(bytes(key), int(partitions))

    def __setitem__(self, key: bytes, value: bytes) -> None:
        # Faust's RocksDB store files a write under the partition of "the current
        # event"; outside an event, stand one in that carries the key's partition.
        with _writing_partition(self.partition_for_key(key)):
            super().__setitem__(key, value)

    def __delitem__(self, key: bytes) -> None:
        with _writing_partition(self.partition_for_key(key)):
            super().__delitem__(key)


@dataclass(frozen=True, slots=True)
class _Position:
    partition: int


class _StandInEvent:
    """What Faust's stores read of "the current event" when writing: its partition."""

    __slots__ = ("__weakref__", "message")

    def __init__(self, partition: int) -> None:
        self.message = _Position(partition)


@contextlib.contextmanager
def _writing_partition(partition: int) -> Iterator[None]:
    event = _StandInEvent(partition)
    token = faust_streams._current_event.set(weakref.ref(event))  # type: ignore[arg-type]
    try:
        yield
    finally:
        faust_streams._current_event.reset(token)


class _ReadOffsets(dict[TP, int | None]):
    """Faust's consumer's read offsets (below which it drops what it fetches again), where
    a pinned partition's offset stays at the pin, so that a seek back is read again whole
    even while messages fetched before it are still being handed on."""

    def __init__(self) -> None:
        super().__init__()
        self.pinned: dict[TP, int] = {}

    def __missing__(self, key: TP) -> None:
        return None

    def __setitem__(self, key: TP, value: int | None) -> None:
        pin = self.pinned.get(key)
        if pin is not None and (value is None or value > pin):
            value = pin
        super().__setitem__(key, value)


class _InOrderConsumer(faust_aiokafka.Consumer):
    """Faust's consumer, committing no offset that the agents did not handle.

    Faust records the offsets a stream jumps over as a "gap" and commits past them;
    around a rebalance it jumps over messages it fetched and then dropped. And its
    streams acknowledge the messages read before a rebalance that they drop. Here
    neither counts: the agents keep their partitions in order themselves
    (:mod:`footfall.processor.positions`), seek back with :meth:`seek_back` and report
    the offsets Kafka holds no message at with :meth:`confirm_gap`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = self._pinnable = _ReadOffsets()

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        return None

    def ack(self, message: Any) -> bool:
        read_in = getattr(message, "generation_id", None)
        if read_in is not None and read_in != self.app.consumer_generation_id:
            # read before the latest rebalance (Faust's streams acknowledge such messages
            # as they drop them): whoever owns the partition now reads it again
            self.forget(message)
            return False
        return bool(super().ack(message))

    def forget(self, message: Any) -> None:
        """Stop waiting for ``message``: dropped unhandled, it will never be acked (Faust's
        ``wait_empty`` at a rebalance or a stop would wait for it for ever); its offset
        is not acknowledged, the partition is read again from before it."""
        self._unacked_messages.discard(message)

    async def confirm_gap(self, tp: TP, first: int, end: int) -> None:
        """No message at offsets ``first`` up to ``end`` (excluded) of ``tp``."""
        await super()._add_gap(tp, first, end - 1)

    async def seek_back(self, tp: TP, offset: int) -> None:
        """Read ``tp`` again from ``offset``, every message, until :meth:`release`."""
        self._pinnable.pinned[tp] = offset
        await self.seek(tp, offset)

    def release(self, tp: TP) -> None:
        self._pinnable.pinned.pop(tp, None)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        self._pinnable.pinned.clear()
        await super().on_partitions_revoked(revoked)


class _InOrderTransport(faust_aiokafka.Transport):
    Consumer = _InOrderConsumer


class _ProcessorFaustApp(faust.App):
    def _new_transport(self) -> Any:
        return _InOrderTransport(self.conf.broker_consumer, self)


@dataclass(frozen=True)
class ProcessorApp:
    """The Faust app and the tables the processor reads outside the agents."""

    app: faust.App
    visitors: Any
    marks: Any


def _credentials(settings: Settings) -> Any:
    security = settings.kafka
    if security.protocol == "PLAINTEXT":
        return None
    kwargs = security.aiokafka_kwargs()
    if security.protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=security.sasl_username,
            password=security.sasl_password,
            mechanism=security.sasl_mechanism or "PLAIN",
            ssl_context=kwargs.get("ssl_context"),
        )
    return faust.SSLCredentials(kwargs["ssl_context"])


def create_app(
    settings: Settings,
    wiring: FaustWiring,
    *,
    canonical_url: str,
    ticks: bool = True,
    batch_size: int = 500,
    **options: Any,
) -> ProcessorApp:
    """The processor's Faust app for ``settings``; ``options`` override Faust settings."""
    config: dict[str, Any] = {
        # footfall's settings are the only source: Faust would otherwise let ~80
        # unprefixed variables of its own (BROKER_URL, TOPIC_PARTITIONS, APP_STORE, ...)
        # win over what is passed here.
        "env": {},
        "broker": [f"kafka://{server}" for server in settings.bootstrap_servers],
        # A silent instance's partitions move after the session timeout (Faust's default
        # of 60 s stalled every partition for a minute after a crash); with a stable
        # instance id a restarted instance takes its partitions back without a rebalance.
        "broker_session_timeout": settings.session_timeout,
        "broker_heartbeat_interval": settings.heartbeat_interval,
        "consumer_group_instance_id": settings.instance_id,
        "store": settings.store,
        "datadir": str(settings.state_dir),
        "web_enabled": False,
        "canonical_url": canonical_url,
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        "table_standby_replicas": settings.standby_replicas,
        "consumer_auto_offset_reset": "earliest",
        "broker_credentials": _credentials(settings),
        "producer_acks": -1,
        # The app's own producer writes the tables' changelogs, after a batch's output is
        # acknowledged and off the event -> command path: let it gather a batch's
        # records into a few large produce requests instead of one request each.
        "producer_linger": 0.005,
        "producer_max_batch_size": 256 * 1024,
        "Table": KeyPartitionedTable,
        # keys and values are bytes everywhere (orjson at the edges, in the steps)
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    config.update(options)
    app = _ProcessorFaustApp(f"{settings.topic_prefix}processor", **config)

    def raw_topic(*names: str) -> Any:
        return app.topic(
            *names,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
        )

    short = {settings.topic(name): name for name in (VISITOR_EVENTS, CHAT_EVENTS, CONTROL, TICKS)}
    inputs = raw_topic(*short)
    ticks_topic = raw_topic(settings.topic(TICKS))
    throttle_topic = raw_topic(settings.topic(THROTTLE))

    visitors = app.Table(
        VISITOR_TABLE,
        default=None,
        key_type=bytes,  # raw UTF-8 keys: the changelog partition is the input's
        value_type=bytes,
        partitions=settings.partitions,
        options=settings.rocksdb.faust_options(),  # memory per RocksDB database
    )
    marks = app.Table(
        THROTTLE_TABLE,
        default=None,
        key_type=bytes,  # raw UTF-8 keys: the changelog partition is the input's
        value_type=bytes,
        partitions=settings.partitions,
        options=settings.rocksdb.faust_options(),  # memory per RocksDB database
    )

    publish = wiring.publish  # every output acknowledged before the state is written

    async def in_order(positions: InputPositions, fetched: list[Any]) -> list[Any]:
        """The events of ``fetched`` to handle (see :mod:`.positions`); a hole seeks back."""
        consumer = app.consumer
        assert isinstance(consumer, _InOrderConsumer)
        committed = getattr(consumer, "_committed_offset", {})  # Faust's own bookkeeping
        current = app.consumer_generation_id
        events = []
        for event in fetched:
            m = event.message
            before = positions.expected(m.topic, m.partition)
            seeking = positions.seeking(m.topic, m.partition)
            admission = positions.admit(
                m.topic, m.partition, m.offset,
                read_in=m.generation_id, current=current, committed=committed.get(m.tp),
            )  # fmt: skip
            if admission is not Admission.HANDLE:
                consumer.forget(m)
            if admission is Admission.HANDLE:
                if seeking:
                    consumer.release(m.tp)
                if before is not None and m.offset > before:
                    await consumer.confirm_gap(m.tp, before, m.offset)
                events.append(event)
            elif admission is Admission.HOLE:
                expected = positions.expected(m.topic, m.partition)
                assert expected is not None
                log.warning(
                    "%s[%d]: read offset %d where %d was expected; reading again from %d",
                    m.topic, m.partition, m.offset, expected, expected,
                )  # fmt: skip
                await consumer.seek_back(m.tp, expected)
        return events

    visitor_positions, throttle_positions = InputPositions(), InputPositions()

    async def visitor_batch(manual: Any, fetched: list[Any]) -> None:
        started = _time.perf_counter()
        events = await in_order(visitor_positions, fetched)
        if not events:
            return
        batch = [
            InputMessage(short.get(m.topic, m.topic), m.partition, m.offset, m.key, m.value)
            for m in (event.message for event in events)
        ]
        await publish(wiring.visitor_batch(batch))
        wiring.visitor_commit()
        for event in events:
            await manual.ack(event)
        wiring.observe(_time.perf_counter() - started)

    async def throttle_batch(manual: Any, fetched: list[Any]) -> None:
        events = await in_order(throttle_positions, fetched)
        if not events:
            return
        await publish(wiring.throttle_batch([event.message.value for event in events]))
        wiring.throttle_commit()
        for event in events:
            await manual.ack(event)

    @app.agent(inputs, name="footfall.visitors")
    async def visitor_agent(stream: Any) -> None:
        manual = stream.noack()
        async with contextlib.aclosing(batches(manual, batch_size)) as batched:
            async for fetched in batched:
                await visitor_batch(manual, fetched)

    @app.agent(throttle_topic, name="footfall.throttle")
    async def throttle_agent(stream: Any) -> None:
        manual = stream.noack()
        async with contextlib.aclosing(batches(manual, batch_size)) as batched:
            async for fetched in batched:
                await throttle_batch(manual, fetched)

    async def recovered() -> None:
        wiring.on_recovered()

    visitors.on_recover(recovered)

    if ticks:

        async def tick_sender() -> None:
            await _send_ticks(app, ticks_topic, settings)

        app.task(tick_sender)

    del visitor_agent, throttle_agent  # registered with the app by the decorator
    return ProcessorApp(app, visitors, marks)


async def batches(
    stream: Any, most: int, *, linger: float = 0.01, behind: int = 1
) -> AsyncGenerator[list[Any], None]:
    """The events of a no-ack ``stream`` in batches of whatever has arrived (up to ``most``).

    A background task reads the stream into a bounded queue; each batch is the first
    event waited for plus every event queued, at once when that event came alone (no
    added waiting at low load). When ``behind`` or more events are already waiting
    (the agent is behind: a backlog after a restart, a burst, a steady load above what
    batches of a few events sustain), the batch first lingers ``linger`` seconds to
    let more arrive, so that the fixed costs of a batch (one produce round trip, one
    state write per visitor, one throttle message per key, a few produce requests) are
    shared by more events: batches grow with the backlog and the agent catches up
    instead of falling further behind. Nothing here acknowledges an event: the caller
    does, after the batch's output and state are stored, so an interrupted batch (a
    stop, a rebalance) is read again from the last committed offsets.
    """
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=most)

    async def pump() -> None:
        async for event in stream.events():
            await queue.put(event)

    reader = asyncio.create_task(pump(), name="footfall.batches")
    try:
        while True:
            if reader.done():
                reader.result()  # the stream ended or failed: end or raise here
                return
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                continue
            batch = [getter.result()]
            if behind <= queue.qsize() < most - 1:
                await asyncio.sleep(linger)  # a backlog: let more of it join this batch
            while len(batch) < most and not queue.empty():
                batch.append(queue.get_nowait())
            yield batch
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


def lag_probe(
    app: faust.App, topics: Mapping[str, str], read_to: Mapping[tuple[str, int], int]
) -> Callable[[int], bool]:
    """``behind(partition)``: whether the app's consumer has unread messages of ``topics``
    (full name -> short name) on that partition.

    Compares Kafka's high watermark, as last fetched, with the offset after the last
    message the agent handled (``read_to``, by short name) or, before the first one,
    with the offset Faust last committed. Unknown (not fetched yet, not assigned) counts
    as not behind.
    """

    def behind(partition: int) -> bool:
        consumer = app.consumer
        committed = getattr(consumer, "_committed_offset", {})  # Faust's own bookkeeping
        for full, short_name in topics.items():
            tp = TP(full, partition)
            try:
                high = consumer.highwater(tp)
            except Exception:  # noqa: BLE001, S112 - not assigned (any more): nothing to wait for
                continue
            if high is None:
                continue
            position = read_to.get((short_name, partition))
            if position is None:
                position = committed.get(tp)
            if (position or 0) < high:
                return True
        return False

    return behind


def shorten_fetch_wait(app: faust.App, wait_ms: int) -> None:
    """Make the app's consumer wait at most ``wait_ms`` on the broker per fetch.

    Faust builds its aiokafka consumer with ``fetch_max_wait_ms=1500`` and no setting
    to change it; with several partitions idle that delays events on the others by up to
    1.5 s. The attribute is aiokafka's own; if it is not where expected nothing changes.
    """
    try:
        fetcher = app.consumer._thread._consumer._fetcher  # type: ignore[attr-defined]
        fetcher._fetch_max_wait_ms = wait_ms
    except AttributeError:
        log.warning("cannot shorten the consumer's fetch wait; events may wait up to 1.5 s")


async def _send_ticks(app: faust.App, topic: Any, settings: Settings) -> None:
    """On the group leader, send one tick to every partition at each aligned tick time."""
    interval = settings.tick
    while True:
        now = _time.time()
        due = next_tick_time(now, interval)
        await asyncio.sleep(max(0.0, due - now))
        if not app.is_leader() or app.rebalancing:
            continue
        payload = encode_tick(Tick(due, _time.time()))
        try:
            for partition in range(settings.partitions):
                await topic.send(key=b"tick", value=payload, partition=partition)
        except Exception:  # the broker may be away; the next tick tries again
            log.exception("sending the tick for %s failed", due)
