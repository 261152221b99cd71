"""``footfall traffic``: simulated visitors browsing, chatting and leaving, sent to Kafka."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import datetime
from typing import Any

from footfall.devtraffic.model import TrafficModel
from footfall.devtraffic.producer import (
    TrafficStats,
    default_start,
    print_traffic,
    produce_traffic,
)
from footfall.durations import parse_duration
from footfall.errors import DurationError
from footfall.settings import Settings

__all__ = ["register", "run"]


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the offset, e.g. {text}Z")
    return moment


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "traffic",
        help="generate simulated visitor and chat traffic into Kafka",
        description=(
            "Simulated visitors browse the example site (page views with urls, titles, "
            "virtual pages, referrers, ip, country, language, user agent), identify "
            "themselves, get invited to chat by agents (and by rules: the invitations "
            "on chat-invitations are answered), chat and leave. Events go to "
            "visitor-events and chat-events keyed by visitor id, at --rate events per "
            "second, until --duration, --count or Ctrl-C. With --print they are written "
            "to stdout as JSON lines with virtual times instead (for footfall simulate)."
        ),
    )
    parser.add_argument("--rate", type=_positive_float, default=5.0, help="events per second [5]")
    parser.add_argument(
        "--visitors", type=_positive_int, default=50, help="visitors online at once [50]"
    )
    parser.add_argument("--duration", type=_duration, default=None, help="stop after, e.g. 10m")
    parser.add_argument("--count", type=_positive_int, default=None, help="stop after N events")
    parser.add_argument("--seed", type=int, default=None, help="make the visitors repeatable")
    parser.add_argument("--site", default="www.example.com", help="site name and url host")
    parser.add_argument(
        "--no-answer-invitations",
        dest="answer_invitations",
        action="store_false",
        help="do not read chat-invitations (visitors then only answer agents)",
    )
    parser.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help="write JSON lines to stdout with virtual times instead of producing (needs --count)",
    )
    parser.add_argument(
        "--start",
        type=_time,
        default=None,
        help="virtual time of the first printed event, RFC 3339 [the current minute]",
    )
    parser.add_argument(
        "--progress", type=_duration, default=10.0, help="report progress every [10s]"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    model = TrafficModel(visitors=args.visitors, seed=args.seed, site=args.site)
    if args.print_only:
        if args.count is None:
            print("footfall traffic: --print needs --count", file=sys.stderr)
            return 2
        start = args.start or default_start()
        print_traffic(model, sys.stdout.buffer, rate=args.rate, count=args.count, start=start)
        sys.stdout.flush()
        return 0
    print(
        f"sending {args.rate:g} events/s from about {args.visitors} visitors to "
        f"{settings.topic('visitor-events')} and {settings.topic('chat-events')} "
        f"on {settings.broker}",
        file=sys.stderr,
        flush=True,
    )
    stats = asyncio.run(_produce(args, settings, model))
    print(stats.describe(), file=sys.stderr, flush=True)
    return 0


async def _produce(
    args: argparse.Namespace, settings: Settings, model: TrafficModel
) -> TrafficStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await produce_traffic(
        settings,
        model,
        rate=args.rate,
        duration=args.duration,
        count=args.count,
        answer_invitations=args.answer_invitations,
        stop=stop,
        on_progress=lambda stats: print(stats.describe(), file=sys.stderr, flush=True),
        progress_every=args.progress,
    )
