"""Errors of the rule language: load-time validation problems, each naming rule id and path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from footfall.errors import FootfallError

__all__ = ["RuleError", "RuleIssue", "RuleValidationError"]


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
        if self.path:
            return f"{self.rule_id}: {self.path}: {self.message}"
        return f"{self.rule_id}: {self.message}"

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
