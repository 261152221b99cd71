"""``footfall rules``: work with rule files. ``validate`` checks them without a broker."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from footfall.rules import RuleIssue, RuleSet, RuleValidationError, compile_rules
from footfall.rules.loader import read_definition_files
from footfall.settings import Settings

__all__ = ["check_rule_files", "register", "run_delete", "run_list", "run_push", "run_validate"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "rules",
        help="validate and manage rules",
        description="Validate and manage rules (YAML or JSON files, SPEC §4).",
    )
    commands = parser.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check rule files and report every problem",
        description=(
            "Check rule files (a file holds one rule or a list; a directory means every "
            "*.yaml, *.yml and *.json in it). Exit 0 with a one-line summary on stdout, or "
            "exit 2 with every problem on stderr, one per line: "
            "'<rule id>: <path>: <message> (in <file>[<index>])'."
        ),
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="rule file or directory")
    validate.set_defaults(func=run_validate)

    push = commands.add_parser(
        "push",
        help="validate rule files and publish every rule to the rules topic",
        description=(
            "Validate every rule first; if any is invalid, publish nothing and exit 2 with "
            "every problem (as 'validate' does). Otherwise publish each rule keyed by its id "
            "with its version, print 'id version' per rule and exit 0. Running processors "
            "apply the new versions within a second."
        ),
    )
    push.add_argument("paths", nargs="+", metavar="PATH", help="rule file or directory")
    push.set_defaults(func=run_push)

    delete = commands.add_parser(
        "delete",
        help="delete a rule (publish its tombstone)",
        description="Publish a tombstone for the rule: processors stop evaluating it.",
    )
    delete.add_argument("rule_id", metavar="ID", help="the id of the rule to delete")
    delete.set_defaults(func=run_delete)

    listing = commands.add_parser(
        "list",
        help="list the rules on the rules topic",
        description="Read the rules topic to its end and print id, version, enabled, owner "
        "and event of every rule in force.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON lines instead")
    listing.set_defaults(func=run_list)


def check_rule_files(paths: Sequence[str | Path]) -> tuple[RuleSet | None, int, list[RuleIssue]]:
    """Read and compile the rules in ``paths``: (rule set or None, files read, problems)."""
    found, issues = read_definition_files(paths, "rule")
    files = len({item.source.path for item in found})
    try:
        rules = compile_rules(found)
    except RuleValidationError as exc:
        return None, files, issues + exc.issues
    return (None if issues else rules), files, issues


def run_validate(args: argparse.Namespace, settings: Settings) -> int:
    rules, files, issues = check_rule_files(args.paths)
    if rules is None:
        for issue in issues:
            print(issue.located(), file=sys.stderr)
        return 2
    enabled = sum(1 for rule in rules.rules.values() if rule.enabled)
    noun = "rule" if len(rules) == 1 else "rules"
    print(f"{len(rules)} {noun} valid ({enabled} enabled) in {files} file{'s' * (files != 1)}")
    return 0


def run_push(args: argparse.Namespace, settings: Settings) -> int:
    from footfall.admin.rule_admin import push_rules

    rules, _files, issues = check_rule_files(args.paths)
    if rules is None:
        for issue in issues:
            print(issue.located(), file=sys.stderr)
        print("nothing pushed: fix every problem above first", file=sys.stderr)
        return 2
    try:
        asyncio.run(push_rules(settings, rules))
    except Exception as exc:  # noqa: BLE001 - any Kafka failure is reported, not raised
        print(f"footfall rules push: cannot publish to Kafka: {exc}", file=sys.stderr)
        return 1
    for rule in rules.rules.values():
        print(f"{rule.id} {rule.version}")
    print(f"pushed {len(rules)} rules to {settings.topic('rules')}", file=sys.stderr)
    return 0


def run_delete(args: argparse.Namespace, settings: Settings) -> int:
    from footfall.admin.rule_admin import delete_rule

    try:
        asyncio.run(delete_rule(settings, args.rule_id))
    except Exception as exc:  # noqa: BLE001 - any Kafka failure is reported, not raised
        print(f"footfall rules delete: cannot publish to Kafka: {exc}", file=sys.stderr)
        return 1
    print(f"deleted {args.rule_id}")
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    import orjson

    from footfall.admin.rule_admin import list_rules
    from footfall.admin.tables import format_table

    try:
        rows = asyncio.run(list_rules(settings))
    except Exception as exc:  # noqa: BLE001 - any Kafka failure is reported, not raised
        print(f"footfall rules list: cannot read the rules topic: {exc}", file=sys.stderr)
        return 1
    if args.json:
        for row in rows:
            print(orjson.dumps(row).decode())
        return 0
    columns = [
        ("id", "ID"),
        ("version", "VERSION"),
        ("enabled", "ENABLED"),
        ("owner", "OWNER"),
        ("event", "EVENT"),
    ]
    print(format_table(columns, rows))
    return 0
