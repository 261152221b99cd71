"""The command-line shape shared by ``footfall profiles`` and ``footfall providers``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

from footfall.settings import Settings

__all__ = ["register_group"]


def register_group(
    subparsers: Any,
    topic: str,
    noun: str,
    key_name: str,
    load: Callable[[Sequence[str]], Sequence[Any]],
    push: Callable[[Settings, Sequence[Any]], Any],
    key_of: Callable[[Any], str],
) -> None:
    """Add ``footfall <topic> push PATH...`` and ``footfall <topic> delete KEY``."""
    parser = subparsers.add_parser(
        topic,
        help=f"push or delete {noun}s (the {topic} topic the workers read)",
        description=f"Manage {noun}s (YAML or JSON files, SPEC §6) on the {topic} topic.",
    )
    commands = parser.add_subparsers(dest=f"{topic}_command", metavar="SUBCOMMAND", required=True)
    push_parser = commands.add_parser(
        "push",
        help=f"validate {noun} files and publish every {noun}",
        description=f"Validate every {noun} first; if any is invalid, publish nothing and "
        f"exit 2 with every problem, one per line. Otherwise publish each {noun} keyed by "
        f"its {key_name} and exit 0.",
    )
    push_parser.add_argument("paths", nargs="+", metavar="PATH", help="file or directory")

    def run_push(args: argparse.Namespace, settings: Settings) -> int:
        from footfall.profiles import DefinitionError

        try:
            items = load(args.paths)
        except DefinitionError as exc:
            for issue in exc.issues:
                print(issue.located(), file=sys.stderr)
            print("nothing pushed: fix every problem above first", file=sys.stderr)
            return 2
        try:
            asyncio.run(push(settings, items))
        except Exception as exc:  # noqa: BLE001 - any Kafka failure is reported, not raised
            print(f"footfall {topic} push: cannot publish to Kafka: {exc}", file=sys.stderr)
            return 1
        for item in items:
            print(key_of(item))
        print(f"pushed {len(items)} {noun}s to {settings.topic(topic)}", file=sys.stderr)
        return 0

    push_parser.set_defaults(func=run_push)

    delete_parser = commands.add_parser(
        "delete", help=f"delete a {noun} (publish its tombstone)", description=f"Delete a {noun}."
    )
    delete_parser.add_argument("key", metavar=key_name.upper(), help=f"the {noun}'s {key_name}")

    def run_delete(args: argparse.Namespace, settings: Settings) -> int:
        from footfall.admin.definitions import delete_definition

        try:
            asyncio.run(delete_definition(settings, topic, args.key))
        except Exception as exc:  # noqa: BLE001 - any Kafka failure is reported, not raised
            print(f"footfall {topic} delete: cannot publish to Kafka: {exc}", file=sys.stderr)
            return 1
        print(f"deleted {args.key}")
        return 0

    delete_parser.set_defaults(func=run_delete)
