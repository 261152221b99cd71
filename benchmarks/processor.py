"""Processor throughput, latency and recovery on a real local broker, in one run.

    .venv/bin/python benchmarks/processor.py [--workload DIR] [--limit N] [--partitions P]

1. Writes the fixed workload (benchmarks/workload.py: 1,000 rules, 200,000 events) into
   DIR if missing; starts a Kafka broker with footfall.devkafka; pushes the rules;
   pre-loads the first N events (all by default) keyed by visitor id.
2. (a) raw pipe: one aiokafka consumer reads the events from the beginning, parses each
   with orjson and produces it to another topic: events/s from its first record.
3. (e) the engine alone on the same events, in a process of its own: the code path of
   ``footfall simulate`` (no ticks: the processor runs without them here), events per
   CPU second.
4. (b) the processor (one instance with the Faust settings `footfall processor` uses,
   memory store unless --store, ticks off: the workload's times are in the past)
   starts and works through the same events: events/s from its first event handled to
   its last command written (per-rule throttled candidates decided too), the same
   counting its start-up, and its CPU time. The ceiling of a processor that costs the
   raw pipe's time plus the engine's per event is 1 / (1/a + 1/e); b / ceiling is how
   close it comes.
5. Latency: with the processor caught up, another process sends fresh page views at a
   fixed --rate events/s for --seconds seconds, matched by a rule that fires on each of
   them; event -> command latency is the command record's timestamp minus the event
   record's (both set by the producers on this machine): p50, p99 and max.
6. Recovery (unless --no-recovery): the processor stops; its visitor table is filled
   up to --recover-visitors visitors (states written to the changelog); a new instance
   starts while probes arrive at --rate events/s: the time from its start until every
   later second of probes has p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

import fixed_workload
from footfall.admin.config_push import publish, rule_record
from footfall.devkafka import LocalKafka
from footfall.engine.state import VisitorState
from footfall.events import format_time
from footfall.kafka_clients import make_consumer, make_producer
from footfall.processor.faust_app import internal_topics
from footfall.processor.partitioning import partition_for
from footfall.processor.service import Processor
from footfall.processor.testing import fast_options
from footfall.processor.ticks import Tick, encode_tick
from footfall.rules import compile_rule, compile_rules, load_rule_files
from footfall.settings import Settings
from footfall.topics import ensure_topics

LATENCY_RULE = {
    "id": "bench-latency",
    "name": "Every latency probe",
    "event": "online_activity",
    "when": {"site": {"eq": "latency-probe"}},
    "actions": [{"kind": "log_to_file", "file": "latency.log"}],
}


def load_events(path: Path, limit: int) -> list[tuple[str, bytes, bytes]]:
    """(short topic, key, value) per event line, in file order."""
    out = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines):
            if limit and number >= limit:
                break
            event = orjson.loads(line)
            topic = "chat-events" if event["type"].startswith("chat_") else "visitor-events"
            out.append((topic, event["visitor_id"].encode(), line.rstrip(b"\n")))
    return out


async def preload(settings: Settings, events: list[tuple[str, bytes, bytes]]) -> float:
    producer = make_producer(settings, linger_ms=20, max_batch_size=256 * 1024)
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for topic, key, value in events:
            pending.append(await producer.send(settings.topic(topic), value, key=key))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def raw_pipe(settings: Settings, total: int) -> float:
    """Seconds for consume -> orjson parse -> produce of ``total`` events."""
    sink = settings.topic("bench-raw-out")
    consumer = make_consumer(
        settings,
        settings.topic("visitor-events"),
        settings.topic("chat-events"),
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        max_poll_records=2000,
    )
    producer = make_producer(settings, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        seen = 0
        started = None
        while seen < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=2000)
            for records in batches.values():
                if started is None:
                    started = time.perf_counter()
                for record in records:
                    event = orjson.loads(record.value)
                    await producer.send(sink, orjson.dumps(event), key=record.key)
                    seen += 1
        await producer.flush()
        assert started is not None
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await producer.stop()


@dataclass(frozen=True)
class ProcessorRun:
    """Seconds from the processor's start until: its first event was handled, every
    event was handled, every per-rule throttled candidate was decided too (all commands
    written); and the CPU seconds this process used meanwhile (the processor: its loop
    and its consumer thread; nothing else runs here then)."""

    first: float
    handled: float
    done: float
    cpu: float


async def run_processor(
    settings: Settings, total: int, faust_options: dict[str, Any]
) -> tuple[Processor, ProcessorRun]:
    # Faust's settings as `footfall processor` runs them unless --fast-commits (the
    # tests' fast_options: commits every 0.5 s instead of 2.8 s)
    processor = Processor(settings, ticks=False, faust_options=faust_options)
    metrics = processor.metrics
    cpu_started = time.process_time()
    started = time.perf_counter()
    await processor.start()
    while metrics.inputs == 0:  # noqa: ASYNC110 - polling a plain counter
        await asyncio.sleep(0.005)
    first = time.perf_counter() - started
    while metrics.inputs < total:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    handled = time.perf_counter() - started
    while metrics.throttle_decided < metrics.throttle_routed:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    done = time.perf_counter() - started
    return processor, ProcessorRun(first, handled, done, time.process_time() - cpu_started)


def latency_in_child(
    settings: Settings, rate: int, seconds: float, wait: float = 30.0
) -> list[tuple[float, float]]:
    """Run :func:`latency` in a process of its own, as a separate producer would be.

    In the processor's process the load generator would take event-loop and CPU time
    from the processor it measures.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        waits: list[tuple[float, float]] = pool.apply(
            _latency_sync, (settings, rate, seconds, wait)
        )
    return waits


def _latency_sync(
    settings: Settings, rate: int, seconds: float, wait: float
) -> list[tuple[float, float]]:
    return asyncio.run(latency(settings, rate, seconds, wait))


def engine_in_child(rules_path: Path, events_path: Path, limit: int) -> tuple[int, float]:
    """(events, CPU seconds) of the engine alone on the events, in a process of its own."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: tuple[int, float] = pool.apply(_engine_alone, (rules_path, events_path, limit))
    return result


def _engine_alone(rules_path: Path, events_path: Path, limit: int) -> tuple[int, float]:
    from footfall.cli.simulate import simulate_lines
    from footfall.engine import EngineConfig
    from footfall.heap import settle_heap
    from footfall.simulation import Simulation

    rules = compile_rules(load_rule_files([rules_path]))
    settle_heap()
    lines = events_path.read_text().splitlines()
    if limit:
        lines = lines[:limit]
    # ticks so far apart that none falls inside the workload: the processor runs without
    sim = Simulation(rules, EngineConfig(), 1e10)
    started = time.process_time()
    for command in simulate_lines(lines, sim):
        command.to_json()
    return len(lines), time.process_time() - started


async def latency(
    settings: Settings, rate: int, seconds: float, wait: float = 30.0
) -> list[tuple[float, float]]:
    """(send time, event -> command ms) of each probe whose command arrived."""
    actions = make_consumer(settings, settings.topic("actions"), group_id=None)
    await actions.start()
    await actions.seek_to_end()
    producer = make_producer(settings, linger_ms=0)
    await producer.start()
    sent: dict[str, int] = {}
    got: dict[str, int] = {}

    async def collect() -> None:
        while True:
            batches = await actions.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    command = orjson.loads(record.value)
                    if command["rule"]["id"] == LATENCY_RULE["id"]:
                        got[command["trigger"]["event_id"]] = record.timestamp

    collector = asyncio.create_task(collect())
    try:
        count = int(rate * seconds)
        tick = 0.01
        per_tick = max(1, int(rate * tick))
        began = time.perf_counter()
        futures = []
        for n in range(count):
            event_id = f"probe-{n}"
            value = orjson.dumps(
                {
                    "type": "page_view",
                    "visitor_id": f"probe-{n % 2000}",
                    "time": format_time(time.time()),
                    "event_id": event_id,
                    "site": "latency-probe",
                    "url": "https://example.com/probe",
                }
            )
            future = await producer.send(
                settings.topic("visitor-events"), value, key=f"probe-{n % 2000}".encode()
            )
            futures.append((event_id, future))
            if (n + 1) % per_tick == 0:
                due = began + (n + 1) / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
        for event_id, future in futures:
            metadata = await future
            sent[event_id] = metadata.timestamp
        deadline = time.monotonic() + wait
        while len(got) < len(sent) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    finally:
        collector.cancel()
        await producer.stop()
        await actions.stop()
    missing = len(sent) - len(got)
    if missing:
        print(f"warning: {missing} probe commands did not arrive", file=sys.stderr)
    return [(sent[k] / 1000, float(got[k] - sent[k])) for k in sent if k in got]


async def send_ticks(settings: Settings, every: float, *, once: bool = False) -> None:
    """Send a tick to every partition every ``every`` seconds at the wall-clock time, as
    the group leader would (the processor itself runs with its tick sender off: during
    (b) ticks would end the workload's sessions, whose times are in the past)."""
    producer = make_producer(settings, linger_ms=0)
    await producer.start()
    try:
        while True:
            await asyncio.sleep(every)
            value = encode_tick(Tick(time.time(), time.time()))
            for partition in range(settings.partitions):
                await producer.send_and_wait(
                    settings.topic("ticks"), value, key=b"tick", partition=partition
                )
            if once:
                return
    finally:
        await producer.stop()


def fill_state(template: VisitorState, visitor_id: str) -> bytes:
    """``template`` (a state of the run), offline, as the state of ``visitor_id``."""
    template.visitor_id = visitor_id
    template.online = False
    return template.to_bytes()


async def fill_table(settings: Settings, visitors: int, template: bytes) -> int:
    """Write ``visitors`` filler states (copies of ``template``, a state of the run) to
    the visitor table's changelog, as a processor that had seen them would have."""
    topic = f"{settings.topic_prefix}processor-visitors-changelog"
    producer = make_producer(settings, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    state = VisitorState.from_bytes(template)
    try:
        pending = []
        for n in range(visitors):
            key = f"filler-{n:07d}".encode()
            partition = partition_for(key, settings.partitions)
            value = fill_state(state, key.decode())
            pending.append(await producer.send(topic, value, key=key, partition=partition))
            if len(pending) >= 10000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return visitors


async def recovery(
    settings: Settings,
    stored: int,
    template: bytes,
    visitors: int,
    rate: int,
    options: dict[str, Any],
) -> None:
    """A processor restarted with ``visitors`` visitors in its state (``stored`` there
    already, the rest fillers): the time from its start until every later second of
    probes has p99 <= 50 ms."""
    await fill_table(settings, max(0, visitors - stored), template)
    seconds = 25.0
    loop = asyncio.get_running_loop()
    probing = loop.run_in_executor(None, latency_in_child, settings, rate, seconds, 60.0)
    await asyncio.sleep(2.0)  # the child's producer is up and probes flow
    started = time.time()
    processor = Processor(settings, ticks=False, faust_options=options)
    await processor.start()
    try:
        ready = time.time() - started
        probes = await probing
    finally:
        await processor.stop()
    by_second: dict[int, list[float]] = {}
    for sent, wait in probes:
        if sent >= started:
            by_second.setdefault(int(sent - started), []).append(wait)
    caught_up = None
    for second in sorted(by_second):
        if all(percentile(by_second[s], 0.99) <= 50 for s in by_second if s >= second):
            caught_up = second
            break
    last = max(by_second, default=0)
    verdict = (
        f"caught up after {caught_up} s (every later second p99 <= 50 ms, up to {last} s)"
        if caught_up is not None and caught_up < last
        else f"not caught up within {last} s"
    )
    print(
        f"recovery with {visitors:,} visitors in the table ({stored:,} from the run): "
        f"start() returned "
        f"after {ready:.1f} s; probes at {rate:,} events/s from 2 s before the start: {verdict}"
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main_async(a: argparse.Namespace) -> None:
    rules_path = a.workload / "rules.json"
    events_path = a.workload / "events.jsonl"
    rules = compile_rules(load_rule_files([rules_path]))
    events = load_events(events_path, a.limit)
    broker = LocalKafka()
    bootstrap = await asyncio.to_thread(broker.start)
    try:
        settings = Settings(
            broker=bootstrap,
            topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
            partitions=a.partitions,
            store=a.store,
            web_port=0,
            web_host="127.0.0.1",
            state_dir=Path("/tmp/footfall-bench-state"),
        )
        extra = [(settings.topic("bench-raw-out"), a.partitions, {})]
        await ensure_topics(settings, extra=extra + internal_topics(settings))
        records = [rule_record(r) for r in rules.rules.values()]
        records.append(rule_record(compile_rule(LATENCY_RULE)))
        await publish(settings, settings.topic("rules"), records)
        loaded = await preload(settings, events)
        total = len(events)
        print(f"workload: {len(rules)} rules, {total} events, {a.partitions} partitions")
        print(f"pre-loaded in {loaded:.1f} s")

        raw_seconds = await raw_pipe(settings, total)
        raw_rate = total / raw_seconds
        print(f"(a) raw pipe (consume, orjson parse, produce): {raw_rate:,.0f} events/s")
        counted, engine_cpu = await asyncio.to_thread(
            engine_in_child, rules_path, events_path, a.limit
        )
        engine_rate = counted / engine_cpu
        ceiling = 1 / (1 / raw_rate + 1 / engine_rate)
        print(
            f"(e) engine alone (footfall simulate's path, no ticks): {engine_rate:,.0f} "
            f"events per CPU second; ceiling 1/(1/a + 1/e) = {ceiling:,.0f} events/s"
        )

        options = fast_options() if a.fast_commits else {}
        processor, run = await run_processor(settings, total, options)
        try:
            # like (a), from the first event handled to the last command written
            proc_rate = total / (run.done - run.first)
            print(
                f"(b) processor: {proc_rate:,.0f} events/s from its first event to its last "
                f"command ({run.done - run.first:.1f} s; ratio to raw {proc_rate / raw_rate:.2f}); "
                f"{total / run.done:,.0f} events/s counting its start too ({run.first:.1f} s "
                f"to the first event, {run.handled:.1f} s to the last, {run.done:.1f} s to "
                f"the last command); {run.cpu:.1f} s CPU: "
                f"{total / run.cpu:,.0f} events per CPU second"
            )
            metrics = processor.metrics
            print(f"    b / ceiling = {proc_rate / ceiling:.2f}")
            print(
                f"    commands: {sum(metrics.fired_by_rule.values()):,} "
                f"({metrics.throttle_routed:,} candidates through the throttle topic)"
            )
            await asyncio.sleep(1.0)  # let commits and changelog writes settle
            ticker = None
            if a.tick_every:
                # a first tick ends the workload's sessions, idle since its times (a live
                # processor has ended them tick by tick); then ticks run as usual
                started = time.perf_counter()
                await send_ticks(settings, 0.0, once=True)
                while metrics.online_visitors._value.get() > 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                print(
                    "a first tick ended the workload's idle sessions in "
                    f"{time.perf_counter() - started:.2f} s"
                )
                ticker = asyncio.create_task(send_ticks(settings, a.tick_every))
            try:
                probes = await asyncio.to_thread(latency_in_child, settings, a.rate, a.seconds)
            finally:
                if ticker is not None:
                    ticker.cancel()
            if ticker is not None:
                await asyncio.sleep(0.5)
                visits = {
                    outcome: metrics.registry.get_sample_value(
                        "footfall_processor_tick_visitors_total", {"outcome": outcome}
                    )
                    or 0
                    for outcome in ("evaluated", "passed_over")
                }
                print(
                    f"ticks every {a.tick_every:g} s during the latency phase: "
                    f"{visits['evaluated']:,.0f} visitors evaluated, "
                    f"{visits['passed_over']:,.0f} passed over"
                )
            waits = [wait for _, wait in probes]
            if waits:
                print(
                    f"latency at {a.rate:,} events/s for {a.seconds:.0f} s "
                    f"({len(waits):,} probes, sent by another process): "
                    f"p50 {percentile(waits, 0.50):.0f} ms, "
                    f"p99 {percentile(waits, 0.99):.0f} ms, "
                    f"max {max(waits):.0f} ms, mean {statistics.fmean(waits):.1f} ms"
                )
            states = sorted((v for _, v in processor.visitors.items()), key=len)
            stored, template = len(states), states[len(states) // 2]
            print(f"    {stored:,} visitors in the table; median state {len(template):,} bytes")
        finally:
            await processor.stop()
        if a.recover_visitors:
            await recovery(settings, stored, template, a.recover_visitors, a.rate, options)
    finally:
        await asyncio.to_thread(broker.stop)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    fixed_workload.add_arguments(ap)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument(
        "--store", default="memory://", help="the processor's table store (rocksdb:// as deployed)"
    )
    ap.add_argument(
        "--fast-commits",
        action="store_true",
        help="the tests' Faust settings (offsets committed every 0.5 s instead of 2.8 s)",
    )
    ap.add_argument(
        "--tick-every",
        type=float,
        default=0.0,
        help="send ticks every S seconds during the latency phase, after one that ends "
        "the workload's idle sessions (default: no ticks)",
    )
    ap.add_argument("--rate", type=int, default=2000, help="offered load for latency")
    ap.add_argument("--seconds", type=float, default=15.0, help="latency phase length")
    ap.add_argument(
        "--recover-visitors",
        type=int,
        default=100000,
        help="visitors in the table at the restart, fillers added (0: no recovery phase)",
    )
    a = ap.parse_args()
    fixed_workload.ensure(a)
    asyncio.run(main_async(a))


if __name__ == "__main__":
    main()
