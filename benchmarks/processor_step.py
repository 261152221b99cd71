"""The processor's step without Kafka: events and ticks through ``VisitorStep``.

    .venv/bin/python benchmarks/processor_step.py [--workload DIR] [--limit N]
        [--partitions P]

Runs the fixed workload's events (in batches of --batch, as the visitor agent takes
them) through the processor's step against a dict table, with a tick message to every
partition at each --tick boundary of the event times, as the leader sends them. This is
what the processor does per message apart from Kafka: parse, read and decode the
visitor's state, the engine, encode and store the state, route the candidates (the
per-rule throttle is not decided here). Twice: with ticks visiting every online visitor,
and passing over those whose quiet span covers the tick (as the processor does, see
``Engine.quiet_span``); it prints the CPU time per input event and, for ticks, the
visitors read, the time per online visitor and the longest tick of one partition (the
time the partition's events wait behind it).
"""

from __future__ import annotations

import argparse
import gc
import time

import fixed_workload
from footfall.engine import EngineConfig
from footfall.engine.engine import Engine
from footfall.events import parse_event
from footfall.processor.faust_app import InputMessage
from footfall.processor.handling import VisitorStep
from footfall.processor.metrics import ProcessorMetrics
from footfall.processor.online_index import OnlineIndex
from footfall.processor.partitioning import partition_for
from footfall.processor.ticks import Tick, encode_tick
from footfall.rules import RuleSet, compile_rules, load_rule_files


class ReadCounting(dict[str, bytes]):
    """The table: a dict that counts the states read."""

    reads = 0

    def get(self, key: str, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        self.reads += 1
        return super().get(key, default)


def run(
    rules: RuleSet, lines: list[bytes], *, partitions: int, tick: float, batch: int, skip: bool
) -> dict[str, float]:
    table = ReadCounting()
    index = OnlineIndex()
    metrics = ProcessorMetrics()
    step = VisitorStep(
        Engine(rules, EngineConfig()),
        table,
        index,
        metrics,
        max_event_bytes=65536,
        full_topic={},
        skip_quiet=skip,
    )
    # (time, message) in input order; a tick goes before the first event at or after it
    next_tick: float | None = None
    pending: list[InputMessage] = []
    event_seconds = tick_seconds = longest = 0.0
    online = read = 0

    def flush() -> None:
        nonlocal event_seconds
        started = time.process_time()
        step.handle_batch(pending)
        event_seconds += time.process_time() - started
        pending.clear()

    for offset, line in enumerate(lines):
        event = parse_event(line)
        if next_tick is None:
            next_tick = (event.time // tick + 1) * tick
        while event.time >= next_tick:
            flush()
            value = encode_tick(Tick(next_tick, 0.0))
            for partition in range(partitions):
                online += len(index.visitors(partition))
                reads = table.reads
                started = time.process_time()
                step.handle_batch([InputMessage("ticks", partition, 0, b"tick", value)])
                spent = time.process_time() - started
                read += table.reads - reads
                tick_seconds += spent
                longest = max(longest, spent)
            next_tick += tick
        key = event.visitor_id.encode()
        partition = partition_for(key, partitions)
        pending.append(InputMessage("visitor-events", partition, offset, key, line))
        if len(pending) >= batch:
            flush()
    flush()
    return {
        "events": event_seconds,
        "ticks": tick_seconds,
        "online": online,
        "read": read,
        "longest": longest,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    fixed_workload.add_arguments(ap)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--tick", type=float, default=30.0)
    ap.add_argument("--batch", type=int, default=70, help="events per handled batch")
    a = ap.parse_args()
    rules_path, events_path = fixed_workload.ensure(a)
    rules = compile_rules(load_rule_files([rules_path]))
    lines = events_path.read_bytes().splitlines()
    if a.limit:
        lines = lines[: a.limit]
    print(f"workload: {len(rules)} rules, {len(lines)} events, {a.partitions} partitions")
    for skip in (False, True):
        gc.collect()
        figures = run(rules, lines, partitions=a.partitions, tick=a.tick, batch=a.batch, skip=skip)
        per_visitor = figures["ticks"] / max(1, figures["online"]) * 1e6
        print(
            ("passing over quiet visitors" if skip else "visiting every online visitor")
            + f": events {figures['events']:.2f} s CPU "
            f"({figures['events'] / len(lines) * 1e6:.1f} µs per event); "
            f"ticks {figures['ticks']:.2f} s CPU, {figures['read']:,.0f} states read for "
            f"{figures['online']:,.0f} online visitors ticked ({per_visitor:.1f} µs per online "
            f"visitor), longest tick of one partition {figures['longest'] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
