"""``footfall worker``: the action workers (run many replicas in one consumer group)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from footfall.durations import parse_duration
from footfall.logs import configure_logging
from footfall.settings import Settings

__all__ = ["register", "run"]

log = logging.getLogger("footfall.worker")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="carry out action commands from the actions topic",
        description="Consume action commands and carry them out (web calls, files, mail, "
        "chat invitations, provider notifications, list purges) until SIGTERM/SIGINT. "
        "Serves /metrics, /healthz and /readyz on FOOTFALL_WEB_PORT [6067].",
    )
    parser.add_argument(
        "--grace",
        type=parse_duration,
        default=None,
        metavar="DURATION",
        help="how long in-flight commands may finish after SIGTERM [25s]",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level)
    return asyncio.run(_serve(settings, args.grace))


async def _serve(settings: Settings, grace: float | None) -> int:
    from footfall.worker.service import DEFAULT_GRACE, Worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(settings, grace=DEFAULT_GRACE if grace is None else grace)
    try:
        await worker.run(stop)
    except Exception:
        log.exception("the worker stopped on an error")
        return 1
    return 0
