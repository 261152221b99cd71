"""``footfall simulate``: run the engine on a file of events, print the commands it fires.

No Kafka and no side effects: the events (JSON lines, in the order given) drive a
virtual clock; ticks, invitation timeouts and the events actions feed back happen as
in the processor. Exit 0 after reading all input (invalid lines are reported on
stderr and skipped), 2 when a rule (or a profile or provider file) is invalid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any, TextIO

from footfall.durations import parse_duration
from footfall.engine import Command, EngineConfig
from footfall.errors import DurationError, FootfallError
from footfall.events import EventError, parse_message, parse_time
from footfall.heap import settle_heap
from footfall.profiles import DefinitionError, load_profiles, load_providers, profile_id_for
from footfall.rules import RuleSet, RuleValidationError, compile_rules, load_rule_files
from footfall.settings import Settings
from footfall.simulation import Simulation

__all__ = ["register", "run", "simulate_lines"]

_PROGRESS_EVERY = 5000


def _duration(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be longer than 0")
    return seconds


def _time(text: str) -> float:
    try:
        return parse_time(text, "--until")
    except EventError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="run the rules on a file of events and print the commands they fire",
        description=(
            "Run the same engine as the processor with no Kafka and no side effects. "
            "Events (JSON lines, in the order given) drive a virtual clock; ticks run "
            "from the first event to the last (or --until); chat invitations, remove "
            "and purge actions feed their events back. Prints each action command as "
            "one JSON line, in firing order. Invalid event lines are reported on "
            "stderr with their line number and skipped. Timeouts come from "
            "FOOTFALL_TICK, FOOTFALL_IDLE_TIMEOUT and FOOTFALL_INVITATION_TIMEOUT. "
            "Exit 0 after reading all input, 2 when a rule is invalid."
        ),
    )
    parser.add_argument(
        "--rules", nargs="+", required=True, metavar="PATH", help="rule files or directories"
    )
    parser.add_argument(
        "--events",
        default="-",
        metavar="FILE",
        help="JSON lines of events and control messages ('-' for stdin, the default)",
    )
    parser.add_argument(
        "--tick", type=_duration, default=None, help="tick interval, e.g. 30s (FOOTFALL_TICK)"
    )
    parser.add_argument(
        "--until",
        type=_time,
        default=None,
        metavar="TIME",
        help="RFC 3339 end of the virtual clock: ticks run up to it; later events are skipped",
    )
    parser.add_argument(
        "--profiles", nargs="+", default=(), metavar="PATH", help="notification profiles to check"
    )
    parser.add_argument(
        "--providers", nargs="+", default=(), metavar="PATH", help="external providers to check"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        rules = compile_rules(load_rule_files(args.rules))
    except RuleValidationError as exc:
        for issue in exc.issues:
            print(issue.located(), file=sys.stderr)
        return 2
    except (FootfallError, OSError) as exc:
        print(f"footfall simulate: {exc}", file=sys.stderr)
        return 2
    settle_heap()  # the compiled rules live as long as the run: no full GC passes over them
    problems = _check_definitions(args.profiles, args.providers, rules)
    if problems is None:
        return 2
    for line in problems:
        print(f"warning: {line}", file=sys.stderr)
    config = EngineConfig.from_settings(settings)
    tick = args.tick if args.tick is not None else settings.tick
    source: IO[str]
    if args.events == "-":
        source = sys.stdin
    else:
        try:
            source = open(args.events, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
        except OSError as exc:
            print(f"footfall simulate: cannot read {args.events}: {exc}", file=sys.stderr)
            return 2
    try:
        out = sys.stdout
        for command in simulate_lines(
            source,
            Simulation(rules, config, tick),
            until=args.until,
            max_bytes=settings.max_event_bytes,
            errors=sys.stderr,
            progress=sys.stderr.isatty(),
        ):
            out.write(command.to_json().decode())
            out.write("\n")
    finally:
        if source is not sys.stdin:
            source.close()
    return 0


def simulate_lines(
    lines: Iterable[str],
    sim: Simulation,
    *,
    until: float | None = None,
    max_bytes: int = 65536,
    errors: TextIO | None = None,
    progress: bool = False,
) -> Iterator[Command]:
    """Commands fired by JSON lines of events and control messages, in firing order."""
    skipped = late = 0
    number = 0
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            message = parse_message(text.encode("utf-8", "surrogateescape"), max_bytes)
        except EventError as exc:
            skipped += 1
            if errors is not None:
                print(f"line {number}: {exc.reason}: {exc}", file=errors)
            continue
        if until is not None and message.time > until:
            late += 1
            continue
        yield from sim.feed(message)
        if progress and errors is not None and number % _PROGRESS_EVERY == 0:
            errors.write(f"\r{number} lines, {sim.stats.commands} commands")
            errors.flush()
    yield from sim.finish(until)
    if errors is not None:
        if progress:
            errors.write(f"\r{number} lines, {sim.stats.commands} commands\n")
        if late:
            print(f"{late} events after --until were skipped", file=errors)
        if skipped:
            print(f"{skipped} invalid lines were skipped", file=errors)


def _check_definitions(
    profiles: Iterable[str], providers: Iterable[str], rules: RuleSet
) -> list[str] | None:
    """Validate profile and provider files; warnings for rules they leave unserved.

    Return ``None`` (after printing every problem) when a file is invalid.
    """
    profile_paths = list(profiles)
    provider_paths = list(providers)
    if not profile_paths and not provider_paths:
        return []
    try:
        known_profiles = {p.id for p in load_profiles(profile_paths)} if profile_paths else None
        known_providers = (
            {p.name for p in load_providers(provider_paths)} if provider_paths else None
        )
    except DefinitionError as exc:
        for issue in exc.issues:
            print(issue.located(), file=sys.stderr)
        return None
    except (FootfallError, OSError) as exc:
        print(f"footfall simulate: {exc}", file=sys.stderr)
        return None
    warnings: list[str] = []
    for rule in rules.rules.values():
        for action in rule.actions:
            where = f"{rule.id}: actions[{action.index}]"
            if action.kind == "notify_external_provider" and known_providers is not None:
                name = action.params.get("provider")
                if name not in known_providers:
                    warnings.append(f"{where}: provider {name!r} is not defined")
            if action.kind == "use_my_notification_profile" and known_profiles is not None:
                profile = profile_id_for(rule.owner)
                if profile not in known_profiles:
                    warnings.append(f"{where}: no notification profile {profile!r}")
    return warnings
