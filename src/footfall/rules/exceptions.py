"""Errors of the rule language: load-time validation problems, each naming rule id and path."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from footfall.errors import FootfallError

__all__ = ["RuleError", "RuleIssue", "RuleValidationError"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


@dataclass(frozen=True, slots=True)
class RuleIssue:
    """One problem found in one rule (or rule file).

    ``str(issue)`` reads ``<rule id>: <path>: <message>``, e.g.
    ``invite-pricing-visitors: when.all[1].hits: unknown operator 'gtee'``; the path is
    left out when the problem concerns the whole rule. ``source`` (file and position,
    when the rule came from a file) is kept apart so the message stays stable.
    """

    rule_id: str
    path: str
    message: str
    source: str | None = None

    def __str__(self) -> str:
        text = (
            f"{self.rule_id}: {self.path}: {self.message}"
            if self.path
            else f"{self.rule_id}: {self.message}"
        )
        # One problem, one line: line breaks and other control characters from a rule's
        # keys or values are escaped.
        return text if text.isprintable() else _CONTROL.sub(_escape, text)

    def located(self) -> str:
        """The message followed by where the rule came from, for command-line output."""
        if not self.source or self.rule_id.startswith(self.source):
            return str(self)
        return f"{self} (in {self.source})"


class RuleError(FootfallError):
    """Base class of the rule language's errors."""


class RuleValidationError(RuleError, ValueError):
    """One or more rules are invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[RuleIssue]) -> None:
        self.issues: list[RuleIssue] = list(issues)
        lines = [str(i) for i in self.issues]
        summary = lines[0] if len(lines) == 1 else f"{len(lines)} problems: " + "; ".join(lines)
        super().__init__(summary)
