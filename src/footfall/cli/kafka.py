"""``footfall kafka``: run a real local Kafka broker (KRaft) with footfall's topics."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from typing import Any

from footfall.devkafka import KAFKA_VERSION, BrokerError, LocalKafka
from footfall.settings import Settings
from footfall.topics import ensure_topics

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "kafka",
        help="run a local Apache Kafka broker (KRaft, from Maven jars) until interrupted",
        description=(
            f"Fetch Apache Kafka {KAFKA_VERSION} from Maven Central once (into "
            "$FOOTFALL_KAFKA_HOME or ~/.cache/footfall/kafka-<version>), start a "
            "single-node broker on loopback, create footfall's topics, print the "
            "bootstrap address and run until Ctrl-C or SIGTERM; then stop and remove "
            "its data directory."
        ),
    )
    parser.add_argument("--port", type=int, default=None, help="listener port [a free one]")
    parser.add_argument("--no-topics", action="store_true", help="do not create footfall's topics")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    broker = LocalKafka(port=args.port, version=settings.kafka_version, home=settings.kafka_home)
    print(f"starting Kafka {broker.version} ...", file=sys.stderr, flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        bootstrap = broker.start()
    except BrokerError as exc:
        print(f"footfall kafka: {exc}", file=sys.stderr)
        return 1
    try:
        if not args.no_topics:
            local = settings.with_overrides(broker=bootstrap)
            created = asyncio.run(ensure_topics(local))
            print(f"created {len(created)} topics", file=sys.stderr)
        print(f"Kafka ready in {broker.started_in:.1f}s", file=sys.stderr)
        print(f"FOOTFALL_BROKER={bootstrap}", flush=True)
        stop.wait()
    finally:
        broker.stop()
        print("Kafka stopped", file=sys.stderr)
    return 0
