"""Engine throughput on the fixed workload (1,000 rules, 200,000 events).

    .venv/bin/python benchmarks/engine.py [--workload DIR] [--limit N] [--profile]
    PYTHONPATH=build/compiled .venv/bin/python benchmarks/engine.py ...   # the compiled core

Writes the fixed workload (benchmarks/workload.py) into DIR when DIR has no
rules.json/events.jsonl yet, then runs the same
code path as ``footfall simulate`` (parsing, engine, ticks, invitation timeouts,
per-rule throttle, feedback of invitations/remove/purge, command serialisation) and
prints events/s, rule evaluations/s, commands emitted and memory per online visitor.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import pstats
import sys
import time
import tracemalloc
from typing import Any

import fixed_workload
import footfall.engine.engine as engine_module
from footfall.cli.simulate import simulate_lines
from footfall.engine import EngineConfig, VisitorState
from footfall.heap import settle_heap
from footfall.rules import compile_rules, load_rule_files
from footfall.simulation import Simulation


def deep_size(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes held by an object graph of dicts, lists, tuples, sets, strings and slots."""
    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple | set | frozenset):
        size += sum(deep_size(v, seen) for v in obj)
    elif not isinstance(obj, str | bytes | int | float) and (
        hasattr(obj, "__slots__") or hasattr(obj, "__mypyc_attrs__")
    ):
        # a compiled build's classes list their attributes in __mypyc_attrs__
        for name in getattr(obj, "__mypyc_attrs__", None) or obj.__slots__:
            if name.startswith("_"):
                continue
            size += deep_size(getattr(obj, name, None), seen)
    return size


def build_kind() -> str:
    """Which footfall runs: the pure-Python package or the compiled core (setup.py)."""
    path = engine_module.__file__ or ""
    return "compiled (mypyc)" if path.endswith(".so") else "pure Python"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    fixed_workload.add_arguments(ap)
    ap.add_argument("--tick", type=float, default=30.0)
    ap.add_argument("--profile", action="store_true", help="print the top functions by own time")
    ap.add_argument("--repeat", type=int, default=1, help="runs; the best CPU time is reported")
    a = ap.parse_args()
    rules_path, events_path = fixed_workload.ensure(a)
    started = time.perf_counter()
    rules = compile_rules(load_rule_files([rules_path]))
    compile_seconds = time.perf_counter() - started
    settle_heap()  # as footfall simulate does after compiling the rules
    lines = events_path.read_text().splitlines()
    if a.limit:
        lines = lines[: a.limit]
    config = EngineConfig()

    def run(sim: Simulation) -> tuple[int, str]:
        digest = hashlib.sha256()
        count = 0
        for command in simulate_lines(lines, sim):
            digest.update(command.to_json())
            count += 1
        return count, digest.hexdigest()[:16]

    timings: list[tuple[float, float]] = []
    digests: set[str] = set()
    for _ in range(max(1, a.repeat)):
        sim = Simulation(rules, config, a.tick)
        gc.collect()
        profiler = cProfile.Profile() if a.profile else None
        started = time.perf_counter()
        cpu_started = time.process_time()
        if profiler:
            profiler.enable()
        commands, digest = run(sim)
        if profiler:
            profiler.disable()
        # CPU time of this process: the machine is shared, so wall time varies with others' load
        timings.append((time.process_time() - cpu_started, time.perf_counter() - started))
        digests.add(digest)
    seconds, wall = min(timings)
    stats = sim.stats
    evaluations = stats.evaluations + stats.tick_evaluations
    online = [s for s in sim.states.values() if s.online]
    sample = online[:500] or list(sim.states.values())[:500]
    per_visitor = sum(deep_size(s) for s in sample) / max(1, len(sample))
    blobs = [s.to_bytes() for s in sample]
    serialised = sum(map(len, blobs)) / max(1, len(sample))
    # what a state takes once loaded from its bytes (a processor reading its table),
    # measured by the allocator: no caches, nothing shared with other objects
    tracemalloc.start()
    loaded = [VisitorState.from_bytes(blob) for blob in blobs]
    loaded_bytes = tracemalloc.get_traced_memory()[0] / max(1, len(loaded))
    tracemalloc.stop()
    print(f"workload: {len(rules)} rules, {len(lines)} events ({a.workload})")
    print(f"build: {build_kind()}")
    print(f"rules compiled in {compile_seconds:.2f} s")
    print(
        f"elapsed: {seconds:.2f} s CPU on one core ({wall:.2f} s wall)"
        + (
            f", best of {len(timings)}: {', '.join(f'{t:.2f}' for t, _ in timings)}"
            if len(timings) > 1
            else ""
        )
    )
    print(f"events/s: {len(lines) / seconds:,.0f}")
    print(
        f"ticks: {stats.ticks:,}, visitor ticks: {stats.visitor_ticks:,} "
        f"({stats.passed_over:,} passed over: inside the visitor's quiet span)"
    )
    print(
        f"rule evaluations/s: {evaluations / seconds:,.0f} ({evaluations:,} in all: "
        "enabled rules of the rule event per evaluation, matched through the index)"
    )
    print(
        f"commands emitted: {commands:,} (candidates {stats.candidates:,}, "
        f"fed back {stats.fed_back:,}, synthesised events {stats.synthesised:,})"
    )
    print(
        f"output digest: {', '.join(sorted(digests))} (identical on every run: {len(digests) == 1})"
    )
    print(
        f"peak visitors ticked at once: {stats.peak_online:,}; "
        f"visitors with state: {len(sim.states):,}"
    )
    print(
        f"memory per online visitor ({len(sample)} at the end): {loaded_bytes:,.0f} bytes "
        f"loaded from its {serialised:,.0f} serialised bytes; at most {per_visitor:,.0f} "
        "bytes as kept during the run (deep size, caches included)"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())


if __name__ == "__main__":
    main()
