"""The processor service: config readers, the Faust app, the web server, in one lifecycle.

Start order (stop is the reverse): web server (so ``/healthz`` answers at once and
``/readyz`` says why it is not ready), topics, the rules reader (the app consumes no
event before the rules topic has been read to its end), the dead-letter ring, then
the Faust app.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time as _time
from collections.abc import Iterator, Sequence
from typing import Any

from aiohttp import web

from footfall.admin.control import control_message
from footfall.compacted_topic import ConfigTopicReader
from footfall.engine.engine import Engine, EngineConfig
from footfall.engine.state import VisitorState
from footfall.events import encode
from footfall.heap import settle_heap
from footfall.kafka_clients import make_producer
from footfall.processor.batch_table import BatchTable
from footfall.processor.dead_letters import DeadLetterRing
from footfall.processor.faust_app import (
    FETCH_WAIT_MS,
    FaustWiring,
    InputMessage,
    ProcessorApp,
    create_app,
    internal_topics,
    lag_probe,
    shorten_fetch_wait,
)
from footfall.processor.handling import Outgoing, TickOrder, VisitorStep
from footfall.processor.metrics import ProcessorMetrics
from footfall.processor.online_index import OnlineIndex
from footfall.processor.partitioning import partition_for
from footfall.processor.publishing import publish_until_acknowledged
from footfall.processor.rule_book import RuleBook
from footfall.processor.throttling import ThrottleStep
from footfall.processor.tick_marks import catch_up_limit, is_mark_key
from footfall.processor.web import build_web_app
from footfall.processor.who_is_on import visitor_row
from footfall.reconnect import start_when_reachable
from footfall.settings import Settings
from footfall.topics import ensure_topics

__all__ = ["Processor"]

log = logging.getLogger(__name__)


class TextKeyTable:
    """A Faust table with ``bytes`` keys seen through ``str`` keys (UTF-8).

    The tables keep raw UTF-8 keys so that a visitor's changelog records land on the
    partition its events do (Kafka's partitioner hashes the key bytes); a ``str`` key
    type would JSON-encode the keys and hash the quotes too.
    """

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, key: str) -> bytes | None:
        value: bytes | None = self._table.get(key.encode())
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.encode() in self._table

    def __setitem__(self, key: str, value: bytes) -> None:
        self._table[key.encode()] = value

    def __delitem__(self, key: str) -> None:
        del self._table[key.encode()]

    def items(self) -> Iterator[tuple[str, bytes]]:
        for key, value in self._table.items():
            if value is not None:
                yield key.decode("utf-8", "replace"), value


class Processor:
    """One processor instance. ``await start()``, then ``await stop()``."""

    def __init__(
        self,
        settings: Settings,
        *,
        advertised_url: str | None = None,
        ticks: bool = True,
        faust_options: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = ProcessorMetrics()
        self.rule_book = RuleBook(self.metrics, on_change=self._rules_changed)
        self.engine = Engine(self.rule_book.rules, EngineConfig.from_settings(settings))
        self.index = OnlineIndex()
        self._advertised_url = advertised_url
        self._ticks = ticks
        self._faust_options = dict(faust_options or {})
        self._rules_reader = ConfigTopicReader(
            settings,
            settings.topic("rules"),
            self.rule_book.apply,
            after_batch=self.rule_book.flush,
        )
        self._ring = DeadLetterRing(settings)
        self._runner: web.AppRunner | None = None
        self._producer: Any = None
        self.parts: ProcessorApp | None = None
        self.visitors = TextKeyTable({})
        self._visitor_step: VisitorStep | None = None
        self._throttle_step: ThrottleStep | None = None
        self.own_url = ""
        self.started = False
        #: why the broker could not be reached at start, while that lasts (for /readyz)
        self.broker_problem: str | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        port = await self._start_web()
        self.own_url = self._advertised_url or f"http://{_advertised_host(self.settings)}:{port}"
        await start_when_reachable(
            self._start_on_broker,
            self._stop_on_broker,
            what="the processor",
            broker=self.settings.broker,
            on_unreachable=self._note_broker,
        )
        settle_heap()
        self.started = True
        log.info("processor started; web on %s", self.own_url)

    def _note_broker(self, reason: str | None) -> None:
        self.broker_problem = reason

    async def _start_on_broker(self) -> None:
        await ensure_topics(self.settings, extra=internal_topics(self.settings))
        await self._rules_reader.start()
        await self._rules_reader.caught_up.wait()
        log.info("rules caught up: %d in force", len(self.rule_book.rules))
        await self._ring.start()
        self._producer = make_producer(self.settings, linger_ms=1, max_batch_size=256 * 1024)
        await self._producer.start()
        self.parts = self._build_app()
        await self.parts.app.start()
        shorten_fetch_wait(self.parts.app, FETCH_WAIT_MS)

    async def stop(self) -> None:
        await self._stop_on_broker()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _stop_on_broker(self) -> None:
        """Stop everything that talks to the broker (also after a start that failed half
        way: every part stops whether or not it got to start)."""
        self.started = False
        if self.parts is not None:
            parts, self.parts = self.parts, None
            await parts.app.stop()
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()
        await self._ring.stop()
        await self._rules_reader.stop()

    async def _start_web(self) -> int:
        self._runner = web.AppRunner(build_web_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.web_host, self.settings.processor_web_port())
        await site.start()
        server = site._server  # the bound port when 0 (any free port) was asked
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else self.settings.processor_web_port()

    def _build_app(self) -> ProcessorApp:
        full = {
            name: self.settings.topic(name)
            for name in ("visitor-events", "chat-events", "control", "ticks")
        }
        tables: dict[str, BatchTable] = {}

        def visitor_batch(batch: list[InputMessage]) -> list[Outgoing]:
            assert self._visitor_step is not None
            return self._visitor_step.handle_batch(batch)

        def throttle_batch(values: list[bytes | None]) -> list[Outgoing]:
            assert self._throttle_step is not None
            out: list[Outgoing] = []
            for value in values:
                out.extend(self._throttle_step.handle(value))
            return out

        wiring = FaustWiring(
            publish=self._publish,
            visitor_batch=visitor_batch,
            visitor_commit=lambda: tables["visitors"].commit(),
            throttle_batch=throttle_batch,
            throttle_commit=lambda: tables["marks"].commit(),
            observe=self.metrics.batch_seconds.observe,
            on_recovered=self._rebuild_index,
        )
        parts = create_app(
            self.settings,
            wiring,
            canonical_url=self.own_url,
            ticks=self._ticks,
            **self._faust_options,
        )
        self.visitors = TextKeyTable(parts.visitors)
        tables["visitors"] = BatchTable(self.visitors)
        tables["marks"] = BatchTable(TextKeyTable(parts.marks))
        settings = self.settings
        self._visitor_step = VisitorStep(
            self.engine,
            tables["visitors"],
            self.index,
            self.metrics,
            max_event_bytes=settings.max_event_bytes,
            full_topic=full,
        )
        events = {full[name]: name for name in ("visitor-events", "chat-events", "control")}
        self._visitor_step.ticks = TickOrder(
            interval=settings.tick,
            catch_up=catch_up_limit(
                settings.tick, settings.idle_timeout, settings.invitation_timeout
            ),
            partitions=settings.partitions,
            behind=lag_probe(parts.app, events, self._visitor_step.read_to),
        )
        self._throttle_step = ThrottleStep(tables["marks"], self.metrics)
        return parts

    async def _publish(self, messages: list[Outgoing]) -> None:
        """Produce a batch's output and wait until Kafka has acknowledged all of it,
        trying again for as long as that fails (see :mod:`.publishing`)."""
        if messages:
            await publish_until_acknowledged(
                self._send_all, messages, on_retry=self.metrics.publish_retries.inc
            )

    async def _send_all(self, messages: Sequence[Outgoing]) -> None:
        producer = self._producer
        assert producer is not None
        topic = self.settings.topic
        futures = [
            await producer.send(topic(m.topic), m.value, key=m.key, partition=m.partition)
            for m in messages
        ]
        await asyncio.gather(*futures)

    def _rules_changed(self, rules: Any) -> None:
        self.engine.rules = rules
        if self.started:
            settle_heap()  # the new rule set is long-lived too; the old one may go

    def _active_partitions(self) -> set[int]:
        if self.parts is None:
            return set()
        topic = self.settings.topic("visitor-events")
        return {
            tp.partition for tp in self.parts.app.assignor.assigned_actives() if tp.topic == topic
        }

    def _rebuild_index(self) -> None:
        """After a recovery: online visitors of the partitions this instance now owns."""
        if self.parts is None:
            return
        active = self._active_partitions()
        partitions = self.settings.partitions
        step = self._visitor_step
        if step is not None:
            # a partition owned before may have moved on elsewhere: its tick mark and
            # positions are read again; ticks held for partitions now elsewhere are theirs
            step.last_tick.clear()
            step.read_to.clear()
            for partition in step.held.partitions():
                if partition not in active:
                    step.held.drop(partition)
        entries = []
        for key, value in self.visitors.items():
            if is_mark_key(key):
                continue
            partition = partition_for(key.encode(), partitions)
            if partition in active:
                state = VisitorState.from_bytes(value)
                if Engine.needs_tick(state):  # a purge's tombstone too, until it expires
                    entries.append((partition, key))
        self.index.replace(entries)
        self.metrics.online_visitors.set(self.index.count())
        log.info("recovered partitions %s: %d online visitors", sorted(active), self.index.count())

    # -- what the web endpoints read (ProcessorView) ---------------------------------------

    @property
    def admin_token(self) -> str | None:
        return self.settings.admin_token

    @property
    def read_token(self) -> str | None:
        return self.settings.read_token

    def peer_urls(self) -> list[str]:
        if self.parts is None:
            return []
        try:
            hosts = self.parts.app.router.tables_metadata()
        except Exception:  # noqa: BLE001 - no assignment yet: no peers known
            return []
        return sorted(str(host) for host in hosts)

    def local_visitors(self) -> list[dict[str, Any]]:
        if self.parts is None:
            return []
        now = _time.time()
        table = self.visitors
        rows = []
        for partition in self.index.partitions():
            for visitor_id in self.index.visitors(partition):
                value = table.get(visitor_id)
                if value is not None:
                    state = VisitorState.from_bytes(value)
                    if state.online:
                        rows.append(visitor_row(state, now))
        return rows

    def local_rules(self) -> list[dict[str, Any]]:
        fired = self.metrics.fired_by_rule
        suppressed = self.metrics.suppressed_by_rule
        return [
            {
                "id": rule.id,
                "name": rule.name,
                "version": rule.version,
                "enabled": rule.enabled,
                "owner": rule.owner.to_json(),
                "event": rule.event,
                "fired": fired.get(rule.id, 0),
                "suppressed": suppressed.get(rule.id, 0),
            }
            for rule in self.rule_book.rules.rules.values()
        ]

    def dead_letters(self, limit: int) -> list[dict[str, Any]]:
        return self._ring.latest(limit)

    def metrics_text(self) -> bytes:
        return self.metrics.exposition()

    def readiness(self) -> dict[str, Any]:
        rules = self._rules_reader.caught_up.is_set()
        app = None if self.parts is None else self.parts.app
        recovered = bool(
            app is not None
            and self.started
            and not app.rebalancing
            and app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
        )
        state: dict[str, Any] = {
            "ready": rules and recovered,
            # the page and the API can be served: started once and rules read; a
            # rebalance or a broker outage after that does not take them away
            "serving": rules and self.started,
            "broker_reachable": self.broker_problem is None,
            "rules_caught_up": rules,
            "partitions_recovered": recovered,
            "partitions": sorted(self._active_partitions()),
            "rules": len(self.rule_book.rules),
        }
        if self.broker_problem is not None:
            state["broker_error"] = self.broker_problem
        return state

    async def send_control(self, kind: str, visitor_id: str) -> dict[str, Any]:
        if self._producer is None:
            raise RuntimeError("the processor is not started")
        message = control_message(kind, visitor_id, _time.time(), origin="web")
        await self._producer.send_and_wait(
            self.settings.topic("control"), encode(message), key=visitor_id.encode()
        )
        return {"sent": kind, "visitor_id": visitor_id, "event_id": message.event_id}


def _advertised_host(settings: Settings) -> str:
    host = settings.web_host
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - comparing, not binding
        return socket.getfqdn()
    return host
