"""``footfall rules``: work with rule files. ``validate`` checks them without a broker."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from footfall.rules import RuleIssue, RuleSet, RuleValidationError, compile_rules
from footfall.rules.loader import read_definition_files
from footfall.settings import Settings

__all__ = ["check_rule_files", "register", "run_validate"]


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
