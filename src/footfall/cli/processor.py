"""``footfall processor``: the stream processor (run one or more instances in one group)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

from footfall.logs import configure_logging
from footfall.settings import Settings

__all__ = ["register", "run"]

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "processor",
        help="run the stream processor: Who's On state, rules, action commands",
        description="Consume visitor-events, chat-events and control, keep each visitor's "
        "state, evaluate the rules of the rules topic and publish action commands, until "
        "SIGTERM/SIGINT. Instances with the same FOOTFALL_TOPIC_PREFIX share the "
        "partitions. Serves the Who's On page, /api/..., /metrics, /healthz and /readyz "
        "on FOOTFALL_WEB_PORT [6066].",
    )
    parser.add_argument(
        "--advertised-url",
        default=None,
        metavar="URL",
        help="the URL other instances reach this one's web server at, for the merged "
        "/api/visitors [http://<fully qualified host name>:<port>]",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level)
    from footfall.processor.faust_environment import drop_faust_variables

    for name in drop_faust_variables(os.environ):
        log.warning("ignoring %s: the processor is configured by FOOTFALL_* variables only", name)
    return asyncio.run(_serve(settings, args.advertised_url))


async def _serve(settings: Settings, advertised_url: str | None) -> int:
    from footfall.processor.service import Processor

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    processor = Processor(settings, advertised_url=advertised_url)
    start = asyncio.create_task(processor.start())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({start, stopping}, return_when=asyncio.FIRST_COMPLETED)
    try:
        if start.done():
            start.result()  # raise a failed start
            await stopping
        else:
            start.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await start
    except Exception:
        log.exception("the processor failed to start")
        return 1
    finally:
        log.info("stopping the processor")
        await processor.stop()
    return 0
