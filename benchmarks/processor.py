"""Processor throughput and latency on a real local broker, against a raw Kafka pipe.

    .venv/bin/python benchmarks/processor.py [--workload DIR] [--limit N] [--partitions P]

1. Generates the fixed workload (/work/shared/bench/workload.py, 1,000 rules, 200,000
   events) into DIR if missing; starts a Kafka broker with footfall.devkafka; pushes the
   rules; pre-loads the first N events (all by default) keyed by visitor id.
2. (a) raw pipe: one aiokafka consumer reads the events from the beginning, parses each
   with orjson and produces it to another topic: events/s from its first record.
3. (b) the processor (one instance with the Faust settings `footfall processor` uses,
   memory store unless --store, ticks off: the workload's times are in the past)
   starts and works through the same events: events/s from its first
   event handled to its last command written (per-rule throttled candidates decided
   too), the ratio to (a), the same counting its start-up, and its CPU time.
4. Latency: with the processor caught up, another process sends fresh page views at a
   fixed --rate events/s for --seconds seconds, matched by a rule that fires on each of
   them; event -> command latency is the command record's timestamp minus the event
   record's (both set by the producers on this machine): p50, p99 and max.
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
from footfall.events import format_time
from footfall.kafka_clients import make_consumer, make_producer
from footfall.processor.faust_app import internal_topics
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


def latency_in_child(settings: Settings, rate: int, seconds: float) -> list[float]:
    """Run :func:`latency` in a process of its own, as a separate producer would be.

    In the processor's process the load generator would take event-loop and CPU time
    from the processor it measures.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        waits: list[float] = pool.apply(_latency_sync, (settings, rate, seconds))
    return waits


def _latency_sync(settings: Settings, rate: int, seconds: float) -> list[float]:
    return asyncio.run(latency(settings, rate, seconds))


async def latency(settings: Settings, rate: int, seconds: float) -> list[float]:
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
        deadline = time.monotonic() + 30
        while len(got) < len(sent) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    finally:
        collector.cancel()
        await producer.stop()
        await actions.stop()
    missing = len(sent) - len(got)
    if missing:
        print(f"warning: {missing} probe commands did not arrive", file=sys.stderr)
    return [float(got[k] - sent[k]) for k in sent if k in got]


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
                waits = await asyncio.to_thread(latency_in_child, settings, a.rate, a.seconds)
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
            if waits:
                print(
                    f"latency at {a.rate:,} events/s for {a.seconds:.0f} s "
                    f"({len(waits):,} probes, sent by another process): "
                    f"p50 {percentile(waits, 0.50):.0f} ms, "
                    f"p99 {percentile(waits, 0.99):.0f} ms, "
                    f"max {max(waits):.0f} ms, mean {statistics.fmean(waits):.1f} ms"
                )
        finally:
            await processor.stop()
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
    a = ap.parse_args()
    fixed_workload.ensure(a)
    asyncio.run(main_async(a))


if __name__ == "__main__":
    main()
