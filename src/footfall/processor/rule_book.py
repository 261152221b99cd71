"""The rules in force on one processor instance, kept up to date from the ``rules`` topic.

Each record of the compacted topic is a rule keyed by its id (see
:func:`footfall.admin.config_push.rule_record`); a null value deletes the rule. The
records of one read are applied together (:meth:`RuleBook.flush`). A
record that does not compile is logged and counted and the previous valid version
stays in force (SPEC §4.3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson

from footfall.compacted_topic import ConfigRecord
from footfall.processor.metrics import ProcessorMetrics
from footfall.rules import CompiledRule, RuleSet, RuleValidationError, compile_rule, compile_rules

__all__ = ["RuleBook", "decode_rule_value"]

log = logging.getLogger(__name__)


def decode_rule_value(value: bytes) -> dict[str, Any]:
    """The rule definition of a ``rules`` record (the pushed ``version`` removed)."""
    raw = orjson.loads(value)
    if not isinstance(raw, dict):
        raise ValueError("a rules record must be a JSON object")
    raw.pop("version", None)
    return raw


class RuleBook:
    """The current :class:`RuleSet`; ``on_change`` is called with it after every change."""

    def __init__(
        self,
        metrics: ProcessorMetrics,
        on_change: Callable[[RuleSet], None] | None = None,
    ) -> None:
        self._metrics = metrics
        self._on_change = on_change
        self.rules: RuleSet = compile_rules([])
        self.rejected: dict[str, str] = {}  # rule id -> last validation error
        self._staged: dict[str, CompiledRule | None] = {}  # changes not yet in force

    def apply(self, record: ConfigRecord) -> None:
        """Apply one record of the rules topic (the reader's callback)."""
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        if record.key is None:
            self._reject(None, where, "record has no key (rules are keyed by rule id)")
            return
        if record.value is None:
            if record.key in self.rules.rules or self._staged.get(record.key) is not None:
                self._staged[record.key] = None
                log.info("rule %s deleted (%s)", record.key, where)
            self.rejected.pop(record.key, None)
            return
        try:
            raw = decode_rule_value(record.value)
            rule = compile_rule(raw)
        except RuleValidationError as exc:
            self._reject(record.key, where, "; ".join(str(issue) for issue in exc.issues))
            return
        except ValueError as exc:  # not JSON, not an object
            self._reject(record.key, where, f"unreadable rule: {exc}")
            return
        if rule.id != record.key:
            self._reject(
                record.key, where, f"record key {record.key!r} differs from id {rule.id!r}"
            )
            return
        self.rejected.pop(rule.id, None)
        self._staged[rule.id] = rule
        log.info("rule %s version %s read (%s)", rule.id, rule.version, where)

    def flush(self) -> None:
        """Put the records applied since the last flush in force, as one new rule set.

        The reader calls this after each batch it reads, so that reading a topic of
        1,000 rules builds one rule set, not 1,000.
        """
        if not self._staged:
            return
        rules = dict(self.rules.rules)
        for rule_id, rule in self._staged.items():
            if rule is None:
                rules.pop(rule_id, None)
            else:
                rules[rule_id] = rule
        self._staged = {}
        self._set(RuleSet(rules.values()))

    def get(self, rule_id: str) -> CompiledRule | None:
        """The rule in force (flushed) with this id."""
        return self.rules.rules.get(rule_id)

    def _set(self, rules: RuleSet) -> None:
        self.rules = rules
        self._metrics.rules_loaded.set(len(rules))
        if self._on_change is not None:
            self._on_change(rules)

    def _reject(self, rule_id: str | None, where: str, why: str) -> None:
        self._metrics.rules_rejected.inc()
        if rule_id is not None:
            self.rejected[rule_id] = why
        log.error(
            "rejected rule %s from %s (the previous version stays in force): %s",
            rule_id,
            where,
            why,
        )
