"""Hostile messages through the parser, the processor's step and ``simulate``'s core.

    .venv/bin/python benchmarks/fuzz_events.py [--count 100000] [--seed 20261203]

Generates ``--count`` messages with :func:`footfall.fuzzing.hostile_messages` (valid
events of every type and control messages, and mutations of them: wrong types, huge
strings, deep nesting, NaN/1e309, duplicate keys, lone surrogates, invalid UTF-8, odd
offsets and extreme years, bytes flipped, cut or repeated) and runs them through
:func:`footfall.fuzzing.run_hostile` with rules that fire on every rule event. Prints
how many were accepted, the rejections by reason, the commands fired, the crashes
(anything but an ``EventError`` from the parser, any exception after it) and the time
taken. Exit 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import logging
import time

from footfall.fuzzing import hostile_messages, hostile_rules, run_hostile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="messages to generate")
    parser.add_argument("--seed", type=int, default=20261203, help="the generator's seed")
    args = parser.parse_args()
    # every rejected message logs a warning in the processor's step: not wanted here
    logging.getLogger("footfall.processor.handling").setLevel(logging.CRITICAL)
    rules = hostile_rules()
    wall, cpu = time.perf_counter(), time.process_time()
    report = run_hostile(hostile_messages(args.seed, args.count), rules)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rejected = sum(report.rejected.values())
    print(f"messages: {report.messages:,} (seed {args.seed})")
    print(f"accepted: {report.accepted:,}; commands fired: {report.commands:,}")
    print(f"rejected: {rejected:,} (an EventError with a reason, a dead letter each)")
    for reason, count in report.rejected.most_common():
        print(f"  {reason:<14} {count:>8,}")
    print(f"crashes: {report.crash_count}")
    for stage, data, trace in report.crashes:
        print(f"--- {stage}: {data!r}\n{trace}")
    print(f"time: {wall:.1f} s wall, {cpu:.1f} s CPU ({report.messages / cpu:,.0f} messages/s)")
    return 1 if report.crash_count else 0


if __name__ == "__main__":
    raise SystemExit(main())
