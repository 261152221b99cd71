"""One input message in, table updates and outgoing messages out: the processor's step.

This is the whole of what the Faust agents do, without Faust: parse (or dead-letter),
run the engine against the visitor's stored state, store the new state, and say what
to publish. The table is any mutable mapping of visitor id -> serialised state (a Faust
table in the processor, a dict in unit tests). Engine logic stays in the engine.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import orjson

from footfall.engine.commands import Candidate
from footfall.engine.engine import Engine, Outcome
from footfall.engine.state import VisitorState
from footfall.events import EventError, parse_control, parse_event
from footfall.processor.dead_letters import dead_letter
from footfall.processor.metrics import ProcessorMetrics
from footfall.processor.online_index import OnlineIndex
from footfall.processor.ticks import decode_tick

if TYPE_CHECKING:
    from footfall.processor.faust_app import InputMessage

__all__ = ["Outgoing", "StateTable", "StepResult", "VisitorStep"]

log = logging.getLogger(__name__)

#: Short names of the topics the visitor agent reads.
VISITOR_EVENTS, CHAT_EVENTS, CONTROL, TICKS = "visitor-events", "chat-events", "control", "ticks"


class StateTable(Protocol):
    """The table a step reads and writes: a Faust table, or a dict in tests."""

    def get(self, key: str) -> bytes | None: ...

    def __contains__(self, key: object) -> bool: ...

    def __setitem__(self, key: str, value: bytes) -> None: ...

    def __delitem__(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish: short topic name, key, value, explicit partition or None."""

    topic: str
    key: bytes | None
    value: bytes
    partition: int | None = None


@dataclass(slots=True)
class StepResult:
    outgoing: list[Outgoing]
    kind: str  # the input's type, or "invalid"/"tick"


class VisitorStep:
    """Handles the inputs of the visitor agent against a visitor table."""

    def __init__(
        self,
        engine: Engine,
        table: StateTable,
        index: OnlineIndex,
        metrics: ProcessorMetrics,
        *,
        max_event_bytes: int,
        full_topic: dict[str, str],
    ) -> None:
        self.engine = engine
        self.table = table
        self.index = index
        self.metrics = metrics
        self.max_event_bytes = max_event_bytes
        self.full_topic = full_topic  # short name -> full topic name (for dead letters)
        self.last_tick: dict[int, float] = {}
        # Decoded states of the batch being handled: each equals the bytes last written
        # to the table for its visitor. Only kept within one batch (see handle_batch).
        self._decoded: dict[str, VisitorState] | None = None

    def handle_batch(self, batch: Sequence[InputMessage]) -> list[Outgoing]:
        """Handle messages in order; a message that breaks the step is dead-lettered.

        Within the batch a visitor's state is decoded once: later messages of the same
        visitor reuse the object the engine left, whose encoding is what was written to
        the table. The objects are dropped when the batch ends, so the next batch (after
        a rebalance or a recovery too) reads the table again.
        """
        out: list[Outgoing] = []
        self._decoded = {}
        try:
            for m in batch:
                out.extend(self._handle_guarded(m))
        finally:
            self._decoded = None
        return out

    def _handle_guarded(self, m: InputMessage) -> list[Outgoing]:
        try:
            result = self.handle(m.topic, m.partition, m.offset, m.key, m.value)
        except Exception as exc:
            # the engine may have changed a state object before failing: forget them
            # all; the table holds each visitor's state as of its last handled message
            if self._decoded is not None:
                self._decoded.clear()
            log.error("handling %s[%d]@%d failed", m.topic, m.partition, m.offset, exc_info=exc)
            error = f"{type(exc).__name__}: {exc}"
            result = self.reject(
                m.topic, m.partition, m.offset, m.key, m.value, "processing_error", error
            )
        return result.outgoing

    def _load(self, visitor_id: str) -> VisitorState | None:
        """The visitor's state: the batch's decoded object, or decoded from the table."""
        decoded = self._decoded
        if decoded is not None:
            state = decoded.get(visitor_id)
            if state is not None:
                return state
        stored = self.table.get(visitor_id)
        if stored is None:
            return None
        state = VisitorState.from_bytes(stored)
        if decoded is not None:
            decoded[visitor_id] = state
        return state

    def handle(
        self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None
    ) -> StepResult:
        """Handle one message of ``topic`` (a short name) at ``partition``/``offset``."""
        if topic == TICKS:
            return self._tick(partition, value)
        self.metrics.inputs += 1
        try:
            if value is None:
                raise EventError("missing_field", "message has no value (null)")
            message = (
                parse_control(value, self.max_event_bytes)
                if topic == CONTROL
                else parse_event(value, self.max_event_bytes)
            )
        except EventError as exc:
            return self.reject(topic, partition, offset, key, value, exc.reason, str(exc))
        wanted = message.visitor_id.encode()
        if key != wanted:
            # Not keyed by visitor id: its state would live on the wrong partition.
            # Publish it again, correctly keyed; it comes back on the right partition.
            self.metrics.events_in.labels("rekeyed").inc()
            assert value is not None
            return StepResult([Outgoing(topic, wanted, value)], "rekeyed")
        self.metrics.events_in.labels(message.type).inc()
        state = self._load(message.visitor_id)
        outcome = self.engine.handle(state, message)
        if outcome.duplicate:
            self.metrics.events_in.labels("duplicate").inc()
            log.debug(
                "duplicate %s %s of %s ignored", message.type, message.identity, message.visitor_id
            )
        return StepResult(self._apply(partition, message.visitor_id, outcome), message.type)

    def _tick(self, partition: int, value: bytes | None) -> StepResult:
        try:
            tick = decode_tick(value or b"")
        except ValueError:
            log.warning("ignoring an unreadable tick message on partition %d", partition)
            return StepResult([], "tick")
        if tick.time <= self.last_tick.get(partition, float("-inf")):
            return StepResult([], "tick")  # already evaluated (a tick re-sent or re-read)
        self.last_tick[partition] = tick.time
        self.metrics.events_in.labels("tick").inc()
        self.metrics.tick_lag.set(max(0.0, _time.time() - tick.time))
        out: list[Outgoing] = []
        for visitor_id in self.index.visitors(partition):
            state = self._load(visitor_id)
            if state is None:
                self.index.mark(partition, visitor_id, False)
                continue
            outcome = self.engine.handle_tick(state, tick.time)
            out.extend(self._apply(partition, visitor_id, outcome))
        self.metrics.online_visitors.set(self.index.count())
        return StepResult(out, "tick")

    def _apply(self, partition: int, visitor_id: str, outcome: Outcome) -> list[Outgoing]:
        state = outcome.state
        if outcome.duplicate:
            return []
        decoded = self._decoded
        if state is None:
            if decoded is not None:
                decoded.pop(visitor_id, None)
            if visitor_id in self.table:
                del self.table[visitor_id]  # a tombstone in the changelog
            self.index.mark(partition, visitor_id, False)
        else:
            self.table[visitor_id] = state.to_bytes()
            if decoded is not None:
                decoded[visitor_id] = state
            self.index.mark(partition, visitor_id, state.online or bool(state.pending))
        for event in outcome.synthesised:
            self.metrics.events_in.labels(f"{event.type}:synthesised").inc()
        return [self._route(candidate) for candidate in outcome.candidates]

    def _route(self, candidate: Candidate) -> Outgoing:
        command = candidate.command
        if candidate.needs_rule_throttle:
            key = candidate.throttle_key.encode()
            return Outgoing("throttle", key, orjson.dumps(candidate.to_dict()))
        self.metrics.fired(command.rule.id)
        self.metrics.commands_out.labels(command.action_kind).inc()
        return Outgoing("actions", command.visitor_id.encode(), command.to_json())

    def reject(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        reason: str,
        error: str,
    ) -> StepResult:
        """Dead-letter the message (counted and logged)."""
        self.metrics.dead_letters.labels(reason).inc()
        log.warning(
            "dead letter from %s[%d]@%d: %s: %s",
            self.full_topic.get(topic, topic),
            partition,
            offset,
            reason,
            error,
        )
        letter = dead_letter(
            reason,
            error,
            topic=self.full_topic.get(topic, topic),
            partition=partition,
            offset=offset,
            key=key,
            payload=value,
        )
        return StepResult([Outgoing("dead-letters", letter.key, letter.value)], "invalid")
