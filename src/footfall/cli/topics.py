"""``footfall topics ensure``: create or verify every topic footfall uses."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiokafka.errors import KafkaError

from footfall.settings import Settings

__all__ = ["all_topics", "register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "topics",
        help="create or verify footfall's topics",
        description="Manage the Kafka topics of FOOTFALL_TOPIC_PREFIX.",
    )
    commands = parser.add_subparsers(dest="topics_command", metavar="SUBCOMMAND", required=True)
    ensure = commands.add_parser(
        "ensure",
        help="create the missing topics, verify the existing ones",
        description="Create every topic footfall uses (the SPEC topics and the processor's "
        "and workers' own ones) that does not exist yet, with FOOTFALL_PARTITIONS "
        "partitions (one for the compacted rules, profiles and providers) and "
        "FOOTFALL_REPLICATION_FACTOR replicas. Existing topics are verified: a partition "
        "count other than the settings' or a config topic without compaction is an error "
        "naming the topic (exit code 1); processors and workers refuse to start on such "
        "topics too. Prints one line per topic.",
    )
    ensure.set_defaults(func=run_ensure)


def all_topics(settings: Settings) -> list[tuple[str, int, dict[str, str]]]:
    """The processor's and the workers' own topics (the SPEC ones come with them)."""
    from footfall.processor.faust_app import internal_topics as processor_topics
    from footfall.worker.service import internal_topics as worker_topics

    return processor_topics(settings) + worker_topics(settings)


def run_ensure(_args: argparse.Namespace, settings: Settings) -> int:
    from footfall.topics import TopicError, ensure_topics, topic_specs

    extra = all_topics(settings)
    try:
        created = set(asyncio.run(ensure_topics(settings, extra=extra)))
    except TopicError as exc:
        print(f"footfall topics ensure: {exc}", file=sys.stderr)
        return 1
    except (KafkaError, OSError) as exc:
        print(
            f"footfall topics ensure: cannot reach the Kafka broker at {settings.broker} "
            f"({str(exc).strip() or type(exc).__name__})",
            file=sys.stderr,
        )
        return 1
    for name, partitions, config in topic_specs(settings) + extra:
        state = "created" if name in created else "verified"
        compacted = " compacted" if "compact" in config.get("cleanup.policy", "") else ""
        print(f"{state} {name} ({partitions} partitions{compacted})")
    return 0
