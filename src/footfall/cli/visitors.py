"""``footfall visitors``: remove or purge a visitor, or list who is on the site now."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from footfall.settings import Settings

__all__ = ["register", "run"]

COLUMNS = (
    ("visitor_id", "VISITOR"),
    ("status", "STATUS"),
    ("started_at", "STARTED AT"),
    ("duration_minutes", "DURATION (MIN)"),
    ("hits", "HITS"),
    ("idle_minutes", "IDLE (MIN)"),
    ("country", "COUNTRY"),
    ("current_page", "CURRENT PAGE"),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "visitors",
        help="remove or purge a visitor, or list the online visitors",
        description="Manage the Who's On list: 'remove' takes a visitor off the list "
        "(their session ends), 'purge' erases everything stored about them (both publish "
        "to the control topic and fire their rule events); 'list' shows who is online.",
    )
    commands = parser.add_subparsers(dest="visitors_command", metavar="ACTION", required=True)
    for kind, text in (
        ("remove", "take a visitor off the Who's On list (fires online_visitor_removed)"),
        ("purge", "erase everything stored about a visitor (fires online_visitor_purged)"),
    ):
        sub = commands.add_parser(kind, help=text, description=text)
        sub.add_argument("visitor_id", metavar="ID", help="the visitor's id")
        sub.set_defaults(func=run)
    listing = commands.add_parser(
        "list",
        help="list the online visitors (from the processor's /api/visitors)",
        description="Show the Who's On list of every processor instance: visitor, status, "
        "started at, duration, hits, idle, country and current page (without its query "
        "string). Sends FOOTFALL_READ_TOKEN (or FOOTFALL_ADMIN_TOKEN) as the bearer token.",
    )
    listing.add_argument(
        "--url",
        default=None,
        help="the processor's web address [http://localhost:<FOOTFALL_WEB_PORT or 6066>]",
    )
    listing.add_argument("--json", action="store_true", help="print the JSON answer instead")
    listing.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.visitors_command == "list":
        return _list(args, settings)
    return _control(args.visitors_command, args.visitor_id, settings)


def _control(kind: str, visitor_id: str, settings: Settings) -> int:
    from footfall.admin.control import send_control

    try:
        message = asyncio.run(send_control(settings, kind, visitor_id, origin="cli"))
    except ValueError as exc:
        print(f"footfall visitors {kind}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - any Kafka failure is reported, not raised
        print(f"footfall visitors {kind}: cannot publish to Kafka: {exc}", file=sys.stderr)
        return 1
    print(f"{kind} {visitor_id}: published to {settings.topic('control')} ({message.event_id})")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from footfall.admin.tables import format_table
    from footfall.admin.web_client import ApiError, fetch_visitors

    url = args.url or f"http://localhost:{settings.processor_web_port()}"
    try:
        data = asyncio.run(fetch_visitors(url, token=settings.read_token or settings.admin_token))
    except ApiError as exc:
        print(f"footfall visitors list: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return 0
    visitors = data.get("visitors", [])
    print(format_table(COLUMNS, visitors))
    print(f"{len(visitors)} online")
    for peer in data.get("unreachable", []):
        print(f"warning: instance {peer} did not answer; its visitors are missing", file=sys.stderr)
    return 0
