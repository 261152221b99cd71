"""Per-rule throttling across partitions and instances (SPEC §5 ``per: rule``).

Candidates of actions with ``max_frequency`` and ``per: rule`` are published to the
internal ``<prefix>throttle`` topic keyed by ``<rule id>#<action index>`` (the
candidates of one key from one visitor batch as one message, a JSON list in firing
order), so every firing of one rule action reaches the same partition, hence one
agent. That agent keeps the action's throttle mark in a changelog-backed table under
the same key, admits or suppresses the candidate with the engine's
:func:`~footfall.engine.throttle.admit` and writes the admitted command to
``actions`` keyed by visitor id.
"""

from __future__ import annotations

import logging

import orjson

from footfall.engine.commands import Candidate
from footfall.engine.throttle import admit
from footfall.processor.handling import Outgoing, StateTable
from footfall.processor.metrics import ProcessorMetrics

__all__ = ["ThrottleStep"]

log = logging.getLogger(__name__)


class ThrottleStep:
    """Admits per-rule throttled candidates against marks kept in ``table``."""

    def __init__(self, table: StateTable, metrics: ProcessorMetrics) -> None:
        self.table = table
        self.metrics = metrics

    def handle(self, value: bytes | None) -> list[Outgoing]:
        """Decide the candidates of one throttle message: one (a JSON object) or several
        of one key in firing order (a JSON list, see ``group_throttled``)."""
        try:
            data = orjson.loads(value or b"")
            items = data if isinstance(data, list) else [data]
            candidates = [Candidate.from_dict(item) for item in items]
        except (ValueError, KeyError, TypeError) as exc:
            log.error("ignoring an unreadable throttle message: %s", exc)
            return []
        out: list[Outgoing] = []
        for candidate in candidates:
            out.extend(self._decide(candidate))
        return out

    def _decide(self, candidate: Candidate) -> list[Outgoing]:
        self.metrics.throttle_decided += 1
        key = candidate.throttle_key
        stored = self.table.get(key)
        mark = None if stored is None else orjson.loads(stored)
        new_mark, command = admit(mark, candidate)
        if new_mark is not None:
            self.table[key] = orjson.dumps(new_mark)
        rule_id = candidate.command.rule.id
        if command is None:
            self.metrics.suppressed(rule_id)
            return []
        self.metrics.fired(rule_id)
        self.metrics.commands_out.labels(command.action_kind).inc()
        return [Outgoing("actions", command.visitor_id.encode(), command.to_json())]
