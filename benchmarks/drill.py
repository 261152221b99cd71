"""The fault drill: the whole system on this machine, attacked while it works.

    .venv/bin/python benchmarks/drill.py --short
    .venv/bin/python benchmarks/drill.py --events 100000 --rate 60 --kills 30 --bounces 5

Starts a broker (its storage in the work directory, so that it can be bounced), the
SMTP and webhook sinks, 2 processors (RocksDB store) and 3 workers, and pushes a rule
set that uses every action kind (``drilling/ruleset.py``). Then it produces ``--events``
events at ``--rate``/s (``footfall.devtraffic``, recorded as produced) while it kills
a random processor or worker with SIGKILL ``--kills`` times (each started again 1-3 s
later) and bounces the broker ``--bounces`` times, at times drawn from ``--seed``.
When everything is quiet it compares the live run with ``footfall simulate`` on the
recorded events and prints a table whose last line is

    lost commands: 0, lost executions: 0, duplicates: N, dead letters: D, who's on: ok

Exit code 1 when a command or an execution was lost, 2 when the system did not start.
The work directory (logs of every process, recorded events, state, the sinks' records)
is printed first, kept when something was lost or with ``--keep``.
See docs/reliability.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import orjson

from drilling.cluster import Cluster, ClusterOptions
from drilling.collect import LiveRecord, collect, wait_quiet
from drilling.expected import simulate_run
from drilling.faults import Fault, plan_faults, run_faults
from drilling.load import LoadStats, produce_load
from drilling.ruleset import write_definitions
from drilling.verdict import Verdict, judge
from footfall.devtraffic import TrafficModel
from footfall.durations import parse_duration
from footfall.engine import Command
from footfall.events import parse_time


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true",
                        help="the short drill: 2,400 events at 30/s, 3 kills of each kind, "
                             "1 broker bounce (other options still apply)")  # fmt: skip
    parser.add_argument("--events", type=int, default=None, help="events to produce")
    parser.add_argument("--rate", type=float, default=None, help="events per second")
    parser.add_argument("--kills", type=int, default=None,
                        help="SIGKILLs of a random processor or worker")  # fmt: skip
    parser.add_argument("--bounces", type=int, default=None, help="broker bounces")
    parser.add_argument("--seed", type=int, default=1, help="seed of the traffic and faults")
    parser.add_argument("--visitors", type=int, default=60, help="visitors online at once")
    parser.add_argument("--processors", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="parent of the work directory")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--quiet-for", type=float, default=15.0,
                        help="seconds without change that count as quiet")  # fmt: skip
    args = parser.parse_args(argv)
    short = args.short
    args.events = args.events if args.events is not None else (2400 if short else 10_000)
    args.rate = args.rate if args.rate is not None else (30.0 if short else 50.0)
    args.bounces = args.bounces if args.bounces is not None else (1 if short else 2)
    if args.kills is None and short:
        args.processor_kills = args.worker_kills = 3
    else:
        kills = args.kills if args.kills is not None else 6
        rng = random.Random(args.seed + 1)
        args.processor_kills = sum(rng.random() < 0.5 for _ in range(kills))
        args.worker_kills = kills - args.processor_kills
    return args


def _say(text: str, began: float = time.monotonic()) -> None:
    print(f"[{time.monotonic() - began:7.1f}s] {text}", flush=True)


async def _drill(args: argparse.Namespace, directory: Path) -> Verdict | None:
    options = ClusterOptions(directory, processors=args.processors, workers=args.workers)
    cluster = Cluster(options)
    stats = LoadStats()
    try:
        _say("starting the broker, the sinks and the services ...")
        await cluster.start()
        assert cluster.hooks is not None and cluster.mail is not None
        definitions = write_definitions(directory / "definitions", cluster.hooks.url)
        await cluster.push(definitions)
        await cluster.start_all()
        _say(f"ready: {args.processors} processors, {args.workers} workers")
        settings = cluster.settings
        span = args.events / args.rate
        processors = [c.name for c in cluster.children if c.kind == "processor"]
        workers = [c.name for c in cluster.children if c.kind == "worker"]
        plans = plan_faults(
            args.seed, span, processors=processors, workers=workers,
            processor_kills=args.processor_kills, worker_kills=args.worker_kills,
            bounces=args.bounces,
        )  # fmt: skip
        _say(f"producing {args.events} events at {args.rate:g}/s with {len(plans)} faults")
        record = directory / "events.jsonl"
        started = time.time()
        load = asyncio.create_task(
            produce_load(
                settings, TrafficModel(visitors=args.visitors, seed=args.seed),
                rate=args.rate, count=args.events, record=record, stats=stats,
            )
        )  # fmt: skip
        faults = await run_faults(cluster, plans, started=started, say=_say)
        await load
        _say(
            f"produced {stats.sent} events in {stats.elapsed:.0f}s ({stats.resent} resent); "
            f"{stats.invitations_answered}/{stats.invitations_seen} rule invitations answered"
        )

        def signature() -> tuple[int, ...]:
            assert cluster.mail is not None and cluster.hooks is not None
            logs = sum(p.stat().st_size for p in cluster.action_logs.rglob("*.log"))
            return (cluster.mail.received_count, cluster.hooks.received_count, logs)

        _say("waiting until everything is quiet ...")
        quiet = await wait_quiet(
            settings, signature, quiet_for=args.quiet_for, within=600.0, say=_say
        )
        if not quiet:
            _say("not quiet after 600s: checking anyway")
        until = time.time()
        whos_on = await cluster.visitors()
        (directory / "whos-on.live.json").write_bytes(orjson.dumps(whos_on))
        live = await collect(settings, cluster.mail, cluster.hooks, cluster.action_logs)
        memory = {child.name: child.peak_rss_kb for child in cluster.children}
        memory["broker"] = cluster.broker_peak_kb
    finally:
        _say("stopping ...")
        await cluster.stop()
    _say("simulating the recorded events ...")
    expected = simulate_run(
        record, definitions["rules"],
        tick=parse_duration(options.tick), idle_timeout=parse_duration(options.idle_timeout),
        invitation_timeout=parse_duration(options.invitation_timeout), until=until,
    )  # fmt: skip
    _dump(directory, expected.commands, live)
    produced, visitor_events = _events(record)
    tick = parse_duration(options.tick)
    verdict = judge(
        expected, live, produced=produced, until=until, settle=2 * tick + 2.0,
        faults=faults, whos_on=whos_on, visitor_events=visitor_events, tick=tick,
        partitions=options.partitions,
    )  # fmt: skip
    _print(args, verdict, expected.command_line, stats, memory, faults, started)
    kept = verdict.failed or args.keep
    print(f"  work directory: {directory} ({'kept' if kept else 'removed'})")
    print(verdict.last_line(), flush=True)  # the last line, for scripts
    return verdict


def _dump(directory: Path, simulated: list[Command], live: LiveRecord) -> None:
    """The simulated commands and the live records, for looking into a difference."""
    with (directory / "commands.simulated.jsonl").open("wb") as out:
        for command in simulated:
            out.write(command.to_json() + b"\n")
    for name, records in (("actions", live.actions), ("control", live.controls),
                          ("chat-invitations", live.invitations),
                          ("dead-letters", live.dead_letters)):  # fmt: skip
        with (directory / f"{name}.live.jsonl").open("wb") as out:
            for r in records:
                out.write(orjson.dumps({"partition": r.partition, "timestamp": r.timestamp,
                                        "key": r.key, "value": r.value}) + b"\n")  # fmt: skip
    with (directory / "executions.live.jsonl").open("wb") as out:
        for e in live.executions:
            out.write(orjson.dumps({"command_id": e.command_id, "where": e.where, "at": e.at}))
            out.write(b"\n")


def _events(record: Path) -> tuple[set[str], dict[str, list[float]]]:
    """The produced event ids, and each visitor's event times."""
    ids = set()
    times: dict[str, list[float]] = {}
    with record.open("rb") as lines:
        for line in lines:
            event = orjson.loads(line)
            ids.add(event["event_id"])
            times.setdefault(event["visitor_id"], []).append(parse_time(event["time"]))
    return ids, times


def _print(
    args: argparse.Namespace,
    verdict: Verdict,
    command_line: str,
    stats: LoadStats,
    memory: dict[str, int],
    faults: list[Fault],
    started: float,
) -> None:
    rows: list[tuple[str, str]] = [
        ("events produced", f"{stats.sent} ({stats.resent} sent again)"),
        (
            "commands simulated",
            f"{verdict.expected} ({verdict.not_compared} in the last seconds not compared)",
        ),
        ("compared by", ", ".join(f"{k}: {n}" for k, n in sorted(verdict.compared.items()))),
        (
            "commands on actions",
            f"{verdict.live_commands} distinct, {verdict.copies} copies, "
            f"{verdict.extra_commands} not simulated",
        ),
        ("lost commands", str(len(verdict.lost_commands))),
        ("overtaken by ticks", f"{len(verdict.overtaken)} (missing; a tick overtook an event)"),
        ("executions", str(verdict.executions)),
        ("lost executions", str(len(verdict.lost_executions))),
        ("duplicates", str(verdict.duplicates)),
        ("dead letters", ", ".join(f"{r}: {n}" for r, n in verdict.dead_letters.items()) or "0"),
        ("who's on", verdict.whos_on),
    ]
    for name, (p50, p99, n) in verdict.latency.items():
        rows.append((name, f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms ({n})"))
    for name, kb in memory.items():
        rows.append((f"peak memory {name}", f"{kb / 1024:.0f} MiB"))
    width = max(len(name) for name, _ in rows)
    print()
    done = Counter(fault.target.split("-")[0] for fault in faults)
    print(f"drill: seed {args.seed}, {args.events} events at {args.rate:g}/s, "
          f"{done['processor']} processor kills, {done['worker']} worker kills, "
          f"{done['broker']} broker bounces")  # fmt: skip
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print("  faults (s after the start; s until every partition's new events made commands "
          "again / its new commands were executed again):")  # fmt: skip
    for fault, (target, command, execution) in zip(faults, verdict.recovery, strict=True):
        print(f"    {fault.killed_at - started:7.1f}  {target:<12} {command:>6} {execution:>6}")
    for line in verdict.lost_commands[:20]:
        print(f"  lost command: {line}")
    for line in verdict.overtaken[:10]:
        print(f"  overtaken: {line}")
    for line in verdict.lost_executions[:20]:
        print(f"  lost execution: {line}")
    print(f"  simulated with: {command_line}")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    # the drill's own clients see every bounce: their reconnection chatter is not news
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="footfall-drill-", dir=args.dir))
    _say(f"work directory (logs of every process in logs/): {directory}")
    try:
        verdict = asyncio.run(_drill(args, directory))
    except (RuntimeError, OSError) as exc:
        _say(f"the drill could not run: {exc}")
        return 2
    if verdict is None or verdict.failed or args.keep:
        return 1 if verdict is None or verdict.failed else 0
    shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
