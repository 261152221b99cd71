"""``footfall dev``: Kafka, processor, workers, sinks, example rules and traffic, in one go."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

from footfall.dev import DevOptions, run_dev
from footfall.durations import parse_duration
from footfall.errors import DurationError
from footfall.settings import Settings

__all__ = ["register", "run"]


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0..65535")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def register(subparsers: Any) -> None:
    defaults = DevOptions()
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dev",
        help="run the whole system locally: Kafka, processor, workers, sinks, rules, traffic",
        description=(
            "Start a real Kafka broker (KRaft, from Maven jars), footfall's topics, an "
            "SMTP sink and a webhook sink, the processor and workers (subprocesses), push "
            "the example profiles, providers and rules, and run the traffic generator; "
            "print every address; stop everything on Ctrl-C or SIGTERM. Other FOOTFALL_* "
            "variables (tick, timeouts, partitions, ...) apply as usual."
        ),
    )
    parser.add_argument(
        "--examples",
        type=Path,
        default=defaults.examples,
        help="directory with rules/, profiles/ and providers/ to push [examples]",
    )
    parser.add_argument("--workers", type=int, default=defaults.workers, help="workers [2]")
    parser.add_argument(
        "--rate", type=_positive, default=defaults.rate, help="traffic events per second [5]"
    )
    parser.add_argument(
        "--visitors", type=int, default=defaults.visitors, help="simulated visitors online [50]"
    )
    parser.add_argument("--seed", type=int, default=None, help="make the traffic repeatable")
    parser.add_argument(
        "--web-port",
        type=_port,
        default=defaults.web_port,
        help="processor web port; the workers take the next ones [6066]",
    )
    parser.add_argument(
        "--webhook-port", type=_port, default=defaults.webhook_port, help="webhook sink [8025]"
    )
    parser.add_argument(
        "--smtp-port", type=_port, default=defaults.smtp_port, help="SMTP sink [a free port]"
    )
    parser.add_argument("--kafka-port", type=_port, default=None, help="Kafka [a free port]")
    parser.add_argument(
        "--ready-timeout",
        type=_duration,
        default=defaults.ready_timeout,
        help="how long the services may take to become ready [3m]",
    )
    parser.add_argument(
        "--progress", type=_duration, default=defaults.progress_every, help="report every [30s]"
    )
    parser.add_argument(
        "--run-dir", type=Path, default=None, help="where to make the run directory [the temp dir]"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the run directory (logs, state, mails)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers < 0 or args.visitors < 1:
        print("footfall dev: --workers must be >= 0 and --visitors >= 1")
        return 2
    options = DevOptions(
        examples=args.examples,
        workers=args.workers,
        rate=args.rate,
        visitors=args.visitors,
        seed=args.seed,
        web_port=args.web_port,
        webhook_port=args.webhook_port,
        smtp_port=args.smtp_port,
        kafka_port=args.kafka_port,
        ready_timeout=args.ready_timeout,
        progress_every=args.progress,
        keep=args.keep,
        run_dir=args.run_dir,
    )
    return asyncio.run(_main(settings, options))


async def _main(settings: Settings, options: DevOptions) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await run_dev(settings, options, stop=stop)
