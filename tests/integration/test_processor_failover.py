"""A processor killed with SIGKILL: the other instance never stops, the killed one's
partitions produce commands again within 15 s; services started before the broker wait
for it instead of exiting (real broker, real processes)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiokafka.errors import KafkaError

from footfall.admin.config_push import publish, rule_record
from footfall.devkafka import LocalKafka
from footfall.devkafka.broker import free_port
from footfall.events import format_time
from footfall.processor.partitioning import partition_for
from footfall.processor.service import Processor
from footfall.processor.testing import TopicCollector, fast_options, produce
from footfall.rules import compile_rules, load_rule_files
from footfall.settings import Settings
from footfall.topics import ensure_topics
from footfall.worker.service import Worker

pytestmark = pytest.mark.integration

RULE = """
- id: every-view
  name: Every page view
  event: online_activity
  when: {hits: {gte: 1}}
  actions:
    - kind: log_to_file
      file: views.log
"""


async def _push_rule(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULE)
    rules = compile_rules(load_rule_files([path]))
    await publish(settings, settings.topic("rules"), [rule_record(r) for r in rules.rules.values()])


def _spawn(settings: Settings, name: str, port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FOOTFALL_BROKER": settings.broker,
        "FOOTFALL_TOPIC_PREFIX": settings.topic_prefix,
        "FOOTFALL_PARTITIONS": str(settings.partitions),
        "FOOTFALL_STORE": "rocksdb://",
        "FOOTFALL_STATE_DIR": str(tmp_path / name),
        "FOOTFALL_WEB_PORT": str(port),
        "FOOTFALL_WEB_HOST": "127.0.0.1",
        "FOOTFALL_TICK": "1h",
        "FOOTFALL_INSTANCE_ID": name,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "footfall", "processor"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"{name}.log").open("ab"),
    )


async def _readiness(port: int) -> dict[str, object]:
    timeout = aiohttp.ClientTimeout(total=2)
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"http://127.0.0.1:{port}/readyz") as response,
        ):
            state: dict[str, object] = await response.json()
            return state
    return {}


async def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        await asyncio.sleep(0.2)


async def _feed(settings: Settings, visitors: list[str], sent: dict[str, float]) -> None:
    """A page view of every visitor every 0.1 s, timed now; ``sent`` keeps the send times
    of the events Kafka acknowledged (none while the broker is away)."""
    step = 0
    while True:
        now = time.time()
        batch = []
        for visitor in visitors:
            event_id = f"{visitor}-{step}"
            event = {
                "type": "page_view",
                "visitor_id": visitor,
                "time": format_time(now),
                "event_id": event_id,
                "url": f"https://example.com/p{step}",
            }
            batch.append((visitor.encode(), orjson.dumps(event)))
        try:
            await asyncio.wait_for(produce(settings, settings.topic("visitor-events"), batch), 5)
        except (KafkaError, TimeoutError):
            await asyncio.sleep(0.5)  # the broker is away: these were not sent
        else:
            sent.update((f"{visitor}-{step}", now) for visitor in visitors)
        step += 1
        await asyncio.sleep(0.1)


def _gaps(records: list[object], since: float, until: float) -> dict[int, float]:
    """Per partition, the longest time without a command between ``since`` and ``until``."""
    times: dict[int, list[float]] = defaultdict(list)
    for record in records:
        stamp = record.timestamp / 1000  # type: ignore[attr-defined]
        if since <= stamp <= until:
            times[record.partition].append(stamp)  # type: ignore[attr-defined]
    gaps = {}
    for partition, stamps in times.items():
        points = [since, *sorted(stamps), until]
        gaps[partition] = max(b - a for a, b in itertools.pairwise(points))
    return gaps


def _two_per_partition(partitions: int) -> list[str]:
    """Visitor ids, two on each partition."""
    visitors: list[str] = []
    for n in range(1000):
        visitor = f"v{n}"
        mine = partition_for(visitor.encode(), partitions)
        if sum(partition_for(v.encode(), partitions) == mine for v in visitors) < 2:
            visitors.append(visitor)
    assert {partition_for(v.encode(), partitions) for v in visitors} == set(range(partitions))
    return visitors


@dataclass
class TwoProcessors:
    """Two ``footfall processor`` processes (stable names p-a, p-b) fed page views."""

    settings: Settings
    tmp_path: Path
    ports: dict[str, int]
    procs: dict[str, subprocess.Popen[bytes]]
    actions: TopicCollector
    visitors: list[str]
    owned: dict[str, set[int]] = field(default_factory=dict)
    sent: dict[str, float] = field(default_factory=dict)

    def restart(self, name: str) -> None:
        self.procs[name] = _spawn(self.settings, name, self.ports[name], self.tmp_path)

    def missing(self) -> set[str]:
        seen = {orjson.loads(r.value)["trigger"]["event_id"] for r in self.actions.records}
        return set(self.sent) - seen

    async def check_nothing_lost(self, gaps: dict[int, float]) -> None:
        with contextlib.suppress(AssertionError):
            await _until(lambda: not self.missing(), 60, "a command for every event")
        lost = self.missing()
        partitions = self.settings.partitions
        assert not lost, (
            f"{len(lost)} of {len(self.sent)} events without a command, on partitions "
            f"{sorted({partition_for(e.split('-')[0].encode(), partitions) for e in lost})} "
            f"(owned {self.owned}, gaps {gaps}), e.g. {sorted(lost)[:5]}"
        )


@contextlib.asynccontextmanager
async def _two_processors(
    settings: Settings, tmp_path: Path, port_block: Callable[[int], int]
) -> AsyncIterator[TwoProcessors]:
    """Both processors ready with the partitions split, commands flowing; at the end the
    feed and the processes are stopped."""
    await _push_rule(settings, tmp_path)
    base = port_block(2)
    ports = {"p-a": base, "p-b": base + 1}
    procs = {name: _spawn(settings, name, port, tmp_path) for name, port in ports.items()}
    actions = TopicCollector(settings, settings.topic("actions"))
    await actions.start()
    two = TwoProcessors(
        settings, tmp_path, ports, procs, actions, _two_per_partition(settings.partitions)
    )
    feeding: asyncio.Task[None] | None = None
    try:

        async def split() -> bool:
            for name, port in ports.items():
                state = await _readiness(port)
                if not state.get("ready"):
                    return False
                two.owned[name] = set(state["partitions"])  # type: ignore[call-overload]
            everything = two.owned["p-a"] | two.owned["p-b"] == set(range(settings.partitions))
            return everything and all(two.owned.values())

        deadline = time.monotonic() + 120
        while not await split():
            assert time.monotonic() < deadline, "the two processors did not split the partitions"
            await asyncio.sleep(0.5)
        feeding = asyncio.create_task(_feed(settings, two.visitors, two.sent))
        await _until(lambda: len(actions.records) >= 4 * len(two.visitors), 60, "commands flowing")
        await asyncio.sleep(2.0)
        yield two
    finally:
        if feeding is not None:
            feeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeding
        for proc in two.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in two.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await actions.stop()


async def test_a_killed_processor_is_back_within_15s_and_the_other_never_stops(
    kafka_settings: Settings, tmp_path: Path, port_block: Callable[[int], int]
) -> None:
    async with _two_processors(kafka_settings, tmp_path, port_block) as two:
        killed_at = time.time()
        two.procs["p-a"].send_signal(signal.SIGKILL)
        two.procs["p-a"].wait(10)
        await asyncio.sleep(2.0)  # the supervisor's restart delay
        two.restart("p-a")
        await asyncio.sleep(25.0)
        gaps = _gaps(two.actions.records, killed_at - 1.0, killed_at + 25.0)
        await two.check_nothing_lost(gaps)
        survivor = two.owned["p-b"]
        assert max(gaps[p] for p in survivor) < 3.0, f"the surviving instance stopped: {gaps}"
        assert max(gaps[p] for p in two.owned["p-a"]) < 15.0, f"killed ones too late: {gaps}"


async def test_after_a_broker_restart_every_partition_is_back_within_10s(
    tmp_path: Path, port_block: Callable[[int], int]
) -> None:
    broker = LocalKafka(data_dir=tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    try:
        settings = Settings(
            broker=broker.bootstrap,
            topic_prefix="bounce.",
            partitions=4,
            state_dir=tmp_path / "state",
            log_dir=tmp_path / "logs",
            store="memory://",
        )
        await ensure_topics(settings)
        async with _two_processors(settings, tmp_path, port_block) as two:
            await asyncio.to_thread(broker.kill)
            await asyncio.sleep(2.0)
            await asyncio.to_thread(broker.restart)
            back_at = time.time()
            await asyncio.sleep(20.0)
            # the first command of each partition for an event sent after the broker was back
            first: dict[int, float] = {}
            for record in two.actions.records:
                event_id = orjson.loads(record.value)["trigger"]["event_id"]
                if two.sent.get(event_id, 0.0) >= back_at:
                    stamp = record.timestamp / 1000
                    first[record.partition] = min(first.get(record.partition, stamp), stamp)
            late = {p: round(first.get(p, float("inf")) - back_at, 1) for p in range(4)}
            await two.check_nothing_lost(late)
            assert max(late.values()) <= 10.0, f"seconds from the broker's return: {late}"
    finally:
        await asyncio.to_thread(broker.stop)


@contextlib.asynccontextmanager
async def _later_broker(port: int) -> AsyncIterator[LocalKafka]:
    broker = LocalKafka(port=port)
    try:
        yield broker
    finally:
        await asyncio.to_thread(broker.stop)


async def test_services_started_before_the_broker_wait_for_it(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(
        broker=f"127.0.0.1:{port}",
        topic_prefix="early.",
        partitions=2,
        state_dir=tmp_path / "state",
        log_dir=tmp_path / "logs",
        store="memory://",
        web_port=0,
        web_host="127.0.0.1",
    )
    processor = Processor(settings, ticks=False, faust_options=fast_options())
    worker = Worker(settings)
    stop_worker = asyncio.Event()
    starting = asyncio.create_task(processor.start())
    working = asyncio.create_task(worker.run(stop_worker))
    async with _later_broker(port) as broker:
        try:
            await asyncio.sleep(4.0)
            assert not starting.done() and not working.done(), "a service gave up"
            assert processor.readiness()["broker_reachable"] is False
            assert processor.readiness()["ready"] is False
            assert worker.readiness()["broker_reachable"] is False
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{worker.web.port}/readyz") as response,
            ):
                assert response.status == 503
            await asyncio.to_thread(broker.start)
            await asyncio.wait_for(starting, 90)
            await _until(lambda: bool(processor.readiness()["ready"]), 60, "processor ready")
            await _until(lambda: all(worker.readiness().values()), 60, "worker ready")
            assert processor.readiness()["broker_reachable"] is True
        finally:
            stop_worker.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(working, 60)
            if not starting.done():
                starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
            await processor.stop()
