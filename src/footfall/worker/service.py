"""The worker service: consume ``actions`` (and the retry topic), carry commands out.

Delivery (see docs/worker.md):

- one consumer in the group ``<prefix>worker`` reads ``actions`` and
  ``<prefix>actions-retry``; up to ``FOOTFALL_WORKER_CONCURRENCY`` commands run at once
  (fetching waits for a free slot);
- offsets are committed by hand, every second and at shutdown, per partition only up to
  the lowest command still pending (:mod:`footfall.worker.commits`);
- a transient failure republishes the command to the retry topic (attempts, due time)
  and frees the partition; a permanent failure or exhausted retries go to
  ``dead-letters``; executed command ids go to ``<prefix>actions-done`` and repeats are
  dropped (:mod:`footfall.worker.donestore`);
- SIGTERM: stop fetching, let in-flight commands finish within the grace period,
  commit, leave the group (unfinished commands are handed back uncommitted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from footfall.compacted_topic import ConfigRecord, ConfigTopicReader, RecordHandler
from footfall.kafka_clients import make_consumer, make_producer
from footfall.reconnect import start_when_reachable
from footfall.settings import Settings
from footfall.topics import ensure_topics
from footfall.worker.commits import CommitTracker, PartitionTracker
from footfall.worker.context import ActionContext
from footfall.worker.directory import Directory
from footfall.worker.donestore import DONE_RETENTION_MS, LEDGER_LOOKBACK, CommandLedger
from footfall.worker.executor import DONE_TOPIC, RETRY_TOPIC, Executor
from footfall.worker.http import make_session
from footfall.worker.mail import MailTransport, SmtpPool
from footfall.worker.metrics import WorkerMetrics
from footfall.worker.netguard import Allowlist
from footfall.worker.retry import RetryEnvelope
from footfall.worker.web import WebServer

__all__ = ["DEFAULT_GRACE", "Worker", "internal_topics"]

log = logging.getLogger(__name__)

DEFAULT_GRACE = 25.0
COMMIT_INTERVAL = 1.0
MAX_WAITING_RETRIES = 10_000
RETRY_HOLD_MAX = 300.0


def internal_topics(settings: Settings) -> list[tuple[str, int, dict[str, str]]]:
    """The worker's own topics: the retry topic (keyed by visitor) and the done ids."""
    return [
        (settings.topic(RETRY_TOPIC), settings.partitions, {}),
        (
            settings.topic(DONE_TOPIC),
            settings.partitions,
            {"cleanup.policy": "compact,delete", "retention.ms": str(DONE_RETENTION_MS)},
        ),
    ]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._worker._on_revoked(list(revoked))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        names = sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned)
        log.info("partitions assigned", extra={"partitions": names})


class Worker:
    """One worker process's delivery loop, action context and web endpoints."""

    def __init__(
        self,
        settings: Settings,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        grace: float = DEFAULT_GRACE,
        mailer: MailTransport | None = None,
        serve_web: bool = True,
    ) -> None:
        self.settings = settings
        self.metrics = WorkerMetrics()
        self.directory = Directory()
        self.ledger = CommandLedger()
        self._environ = environ
        self._clock = clock
        self._grace = grace
        self._mailer = mailer
        self._serve_web = serve_web
        self._actions_topic = settings.topic("actions")
        self._retry_topic = settings.topic(RETRY_TOPIC)
        self._done_topic = settings.topic(DONE_TOPIC)
        self._tracker = CommitTracker()
        self._slots = asyncio.Semaphore(settings.worker_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: dict[asyncio.Task[None], TopicPartition] = {}
        self._stopping = asyncio.Event()
        self._followers: list[ConfigTopicReader] = []
        self._fetch_task: asyncio.Task[None] | None = None
        self._commit_task: asyncio.Task[None] | None = None
        self._paused_retries = False
        self.retry_hold_max = RETRY_HOLD_MAX
        self._producer: Any = None
        self._consumer: Any = None
        self._executor: Executor | None = None
        self._smtp: SmtpPool | None = None
        self.web = WebServer(self.metrics.registry, self.readiness)
        #: why the broker could not be reached at start, while that lasts (for /readyz)
        self.broker_problem: str | None = None

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Connect everything, catch up on the directory and done ids, start consuming."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        if self._serve_web:
            await self.web.start(self.settings.web_host, self.settings.worker_web_port())
        await start_when_reachable(
            self._start_on_broker,
            self._stop_on_broker,
            what="the worker",
            broker=self.settings.broker,
            on_unreachable=self._note_broker,
        )
        self._fetch_task = asyncio.create_task(self._fetch_loop(), name="worker-fetch")
        self._commit_task = asyncio.create_task(self._commit_loop(), name="worker-commit")
        log.info(
            "worker started",
            extra={"group": f"{self.settings.topic_prefix}worker", "web_port": self.web.port},
        )

    def _note_broker(self, reason: str | None) -> None:
        self.broker_problem = reason

    async def _start_on_broker(self) -> None:
        settings = self.settings
        await ensure_topics(settings, internal_topics(settings))
        self._producer = make_producer(settings)
        await self._producer.start()
        self._followers = [
            ConfigTopicReader(
                settings, settings.topic("profiles"), _by_key(self.directory.on_profile)
            ),
            ConfigTopicReader(
                settings, settings.topic("providers"), _by_key(self.directory.on_provider)
            ),
            ConfigTopicReader(
                settings,
                self._done_topic,
                _by_key(self.ledger.on_record),
                poll_ms=500,
                lookback=LEDGER_LOOKBACK,
            ),
        ]
        for follower in self._followers:
            await follower.start()
        allowlist = Allowlist.parse(settings.http_allowlist)
        if self._mailer is None:
            self._smtp = SmtpPool(settings.smtp, size=min(settings.worker_concurrency, 32))
        executor = Executor(settings, self._producer, self.ledger, self.metrics, self._clock)
        executor.context = ActionContext(
            settings=settings,
            http=make_session(allowlist, connections=max(settings.worker_concurrency, 16)),
            allowlist=allowlist,
            mailer=self._mailer or self._smtp,  # type: ignore[arg-type]
            publish=executor.publish,
            directory=self.directory,
            clock=self._clock,
        )
        if self._environ is not None:
            executor.context.environ = self._environ
        self._executor = executor
        # wait for the done ids before executing anything, so restarts drop repeats
        await asyncio.gather(*(f.caught_up.wait() for f in self._followers))
        self._consumer = make_consumer(
            settings,
            group_id=f"{settings.topic_prefix}worker",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=max(settings.worker_concurrency * 2, 100),
            session_timeout_ms=int(settings.session_timeout * 1000),
            heartbeat_interval_ms=int(settings.heartbeat_interval * 1000),
            group_instance_id=settings.instance_id,
        )
        self._consumer.subscribe(
            topics=[self._actions_topic, self._retry_topic], listener=_Rebalance(self)
        )
        await self._consumer.start()

    async def _stop_on_broker(self) -> None:
        """Close what a start that failed half way opened (nothing was consumed yet)."""
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()
        for follower in self._followers:
            await follower.stop()
        self._followers = []
        if self._executor is not None:
            executor, self._executor = self._executor, None
            if executor.context is not None:
                await executor.context.http.close()
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            await smtp.close()
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    def readiness(self) -> dict[str, bool]:
        assigned = bool(self._consumer is not None and self._consumer.assignment())
        return {
            "broker_reachable": self.broker_problem is None,
            "partitions_assigned": assigned,
            "profiles_and_providers_caught_up": bool(self._followers)
            and all(f.caught_up.is_set() for f in self._followers),
            "not_stopping": not self._stopping.is_set(),
        }

    async def stop(self) -> None:
        """Graceful stop: no more fetching, in-flight finishes (grace period), commit."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._grace
        if self._fetch_task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._fetch_task, timeout=self._grace)
        for task in list(self._waiting):
            task.cancel()
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=max(deadline - loop.time(), 0.1))
            for task in late:
                task.cancel()
            if late:
                log.warning("grace period over: %d commands handed back", len(late))
                await asyncio.wait(late, timeout=5)
        if self._commit_task is not None:
            self._commit_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._commit_task
        if self._producer is not None:
            with contextlib.suppress(KafkaError):
                await self._producer.flush()  # ledger records, so their offsets commit
        if self._consumer is not None:
            await self._commit()
            await self._consumer.stop()
        for follower in self._followers:
            await follower.stop()
        if self._executor is not None and self._executor.context is not None:
            await self._executor.context.http.close()
        if self._smtp is not None:
            await self._smtp.close()
        if self._producer is not None:
            await self._producer.stop()
        await self.web.stop()
        log.info("worker stopped")

    async def run(self, stop: asyncio.Event) -> None:
        """Start, run until ``stop`` is set or the fetch loop dies, then stop gracefully.

        Raises when the fetch loop died of an error (the CLI then exits non-zero).
        """
        waiter = asyncio.create_task(stop.wait())
        starting = asyncio.create_task(self.start(), name="worker-start")
        await asyncio.wait({waiter, starting}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():  # asked to stop while waiting for the broker
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            return
        try:
            starting.result()
        except BaseException:
            waiter.cancel()
            raise
        assert self._fetch_task is not None
        fetch = self._fetch_task
        try:
            await asyncio.wait({waiter, fetch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            await self.stop()
        if fetch.done() and not fetch.cancelled() and fetch.exception() is not None:
            raise RuntimeError("the worker's fetch loop failed") from fetch.exception()

    # ------------------------------------------------------------------ fetching

    async def _fetch_loop(self) -> None:
        consumer = self._consumer
        while not self._stopping.is_set():
            self._throttle_retries()
            try:
                batches = await consumer.getmany(timeout_ms=200)
            except KafkaError:
                log.exception("fetching failed; retrying")
                await asyncio.sleep(1.0)
                continue
            for tp, records in batches.items():
                for record in records:
                    if self._stopping.is_set():
                        return
                    partition = self._tracker.start(tp, record.offset)
                    if tp.topic == self._retry_topic:
                        self._hold_retry(tp, record, partition)
                        continue
                    await self._slots.acquire()
                    self._spawn(self._handle(record, partition, None))

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _throttle_retries(self) -> None:
        retry_partitions = [
            tp for tp in self._consumer.assignment() if tp.topic == self._retry_topic
        ]
        if not self._paused_retries and len(self._waiting) >= MAX_WAITING_RETRIES:
            self._consumer.pause(*retry_partitions)
            self._paused_retries = True
        elif self._paused_retries and len(self._waiting) < MAX_WAITING_RETRIES // 2:
            self._consumer.resume(*retry_partitions)
            self._paused_retries = False

    def _hold_retry(self, tp: TopicPartition, record: Any, partition: PartitionTracker) -> None:
        try:
            envelope = RetryEnvelope.decode(record.value)
        except (ValueError, orjson.JSONDecodeError) as exc:
            log.error("bad message on the retry topic at %s@%d: %s", tp, record.offset, exc)
            partition.finish(record.offset)
            return
        task = self._spawn(self._wait_then_handle(record, partition, envelope))
        self._waiting[task] = tp
        self.metrics.waiting_retries.set(len(self._waiting))

    async def _wait_then_handle(
        self, record: Any, partition: PartitionTracker, envelope: RetryEnvelope
    ) -> None:
        try:
            delay = envelope.due - self._clock()
            if delay > self.retry_hold_max:
                # not due for a long while: park it again at the end of the retry topic
                # instead of holding back this partition's commits for hours
                await asyncio.sleep(self.retry_hold_max)
                try:
                    await self._producer.send_and_wait(record.topic, record.value, key=record.key)
                except KafkaError as exc:  # stays uncommitted: read again after a restart
                    log.error("could not park a retry message again: %s", exc)
                    return
                partition.finish(record.offset)
                return
            if delay > 0:
                await asyncio.sleep(delay)
            await self._slots.acquire()
        finally:
            self._waiting.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
            self.metrics.waiting_retries.set(len(self._waiting))
        await self._handle(record, partition, envelope)

    # ------------------------------------------------------------------ handling

    async def _handle(
        self, record: Any, partition: PartitionTracker, envelope: RetryEnvelope | None
    ) -> None:
        """Carry out one command (holding a slot); finish its offset unless Kafka failed.

        When the outcome is a ledger record still on its way to the broker, the slot is
        freed at once and the offset finishes when the record is acknowledged.
        """
        self.metrics.in_flight.inc()
        try:
            assert self._executor is not None
            pending = await self._executor.process(record, envelope)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "could not record the outcome of %s@%d; it stays uncommitted",
                record.topic,
                record.offset,
            )
        else:
            if pending is None:
                partition.finish(record.offset)
            else:
                pending.add_done_callback(
                    lambda f: self._ledger_written(f, partition, record.offset)
                )
        finally:
            self.metrics.in_flight.dec()
            self._slots.release()

    @staticmethod
    def _ledger_written(
        future: asyncio.Future[Any], partition: PartitionTracker, offset: int
    ) -> None:
        # the command was executed either way: the ledger only saves repeats, so a lost
        # record must not hold back the partition's commits
        if future.cancelled() or future.exception() is not None:
            log.warning(
                "ledger record not written for offset %d; a re-delivery may repeat it", offset
            )
        partition.finish(offset)

    # ------------------------------------------------------------------ commits

    async def _commit_loop(self) -> None:
        while True:
            await asyncio.sleep(COMMIT_INTERVAL)
            await self._commit()

    async def _commit(self, only: list[TopicPartition] | None = None) -> None:
        assigned = set(self._consumer.assignment())
        offsets = {
            tp: offset
            for tp, offset in self._tracker.to_commit().items()
            if tp in assigned and (only is None or tp in only)
        }
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            log.warning("offset commit failed (will retry): %s", exc)
            return
        self._tracker.mark_committed(offsets)

    async def _on_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._commit(only=revoked)
        for task, tp in list(self._waiting.items()):
            if tp in revoked:
                task.cancel()
        self._tracker.forget(revoked)


def _by_key(handle: Callable[[bytes | None, bytes | None], None]) -> RecordHandler:
    """Adapt a ``handle(key, value)`` callback to the reader's ``handle(record)``."""

    def on_record(record: ConfigRecord) -> None:
        handle(None if record.key is None else record.key.encode(), record.value)

    return on_record
