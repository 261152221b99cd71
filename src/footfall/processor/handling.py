"""One input message in, table updates and outgoing messages out: the processor's step.

This is the whole of what the Faust agents do, without Faust: parse (or dead-letter),
run the engine against the visitor's stored state, store the new state, and say what
to publish. The table is any mutable mapping of visitor id -> serialised state (a Faust
table in the processor, a dict in unit tests). Engine logic stays in the engine.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import orjson

from footfall.engine.commands import Candidate
from footfall.engine.engine import Engine, Outcome
from footfall.engine.state import VisitorState
from footfall.events import EventError, parse_control, parse_event
from footfall.kafka_clients import MAX_RECORD_BYTES
from footfall.processor.dead_letters import dead_letter
from footfall.processor.metrics import ProcessorMetrics
from footfall.processor.online_index import OnlineIndex
from footfall.processor.tick_marks import (
    MAX_HOLD,
    HeldTicks,
    catch_up_times,
    decode_mark,
    encode_mark,
    mark_key,
)
from footfall.processor.ticks import Tick, decode_tick

if TYPE_CHECKING:
    from footfall.processor.faust_app import InputMessage

__all__ = [
    "Outgoing",
    "StateTable",
    "StepResult",
    "TickOrder",
    "VisitorStep",
    "group_throttled",
]

log = logging.getLogger(__name__)

#: Short names of the topics the visitor agent reads.
VISITOR_EVENTS, CHAT_EVENTS, CONTROL, TICKS = "visitor-events", "chat-events", "control", "ticks"
#: The internal topic of per-rule throttled candidates (see footfall.processor.throttling).
THROTTLE = "throttle"


class StateTable(Protocol):
    """The table a step reads and writes: a Faust table, or a dict in tests."""

    def get(self, key: str) -> bytes | None: ...

    def __contains__(self, key: object) -> bool: ...

    def __setitem__(self, key: str, value: bytes) -> None: ...

    def __delitem__(self, key: str) -> None: ...


@dataclass(frozen=True)
class TickOrder:
    """How the visitor agent orders ticks (see :mod:`footfall.processor.tick_marks`).

    ``behind(partition)`` says whether events of the partition that were in Kafka when
    asked are still unread; ``clock`` is the wall clock (for how long a tick was held).
    """

    interval: float
    catch_up: int
    partitions: int
    behind: Callable[[int], bool]
    clock: Callable[[], float] = _time.time


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
        skip_quiet: bool = True,
        ticks: TickOrder | None = None,
    ) -> None:
        self.engine = engine
        self.table = table
        self.index = index
        self.metrics = metrics
        self.max_event_bytes = max_event_bytes
        self.full_topic = full_topic  # short name -> full topic name (for dead letters)
        self.last_tick: dict[int, float] = {}
        #: pass over the visitors a tick would not change (see Engine.quiet_span)
        self.skip_quiet = skip_quiet
        #: missed ticks run late, ticks held for older events (None: every tick as read)
        self.ticks = ticks
        self.held = HeldTicks()
        #: per (short topic, partition): the offset after the last message handled
        self.read_to: dict[tuple[str, int], int] = {}

    def handle_batch(self, batch: Sequence[InputMessage]) -> list[Outgoing]:
        """Handle messages in order; a message that breaks the step is dead-lettered.

        The batch's per-rule throttled candidates go out as one throttle message per
        throttle key, a JSON list in firing order (see :func:`group_throttled`).
        """
        out: list[Outgoing] = []
        for m in batch:
            try:
                result = self.handle(m.topic, m.partition, m.offset, m.key, m.value)
            except Exception as exc:
                log.error("handling %s[%d]@%d failed", m.topic, m.partition, m.offset, exc_info=exc)
                error = f"{type(exc).__name__}: {exc}"
                result = self.reject(
                    m.topic, m.partition, m.offset, m.key, m.value, "processing_error", error
                )
            out.extend(self._fit(result.outgoing, m))
        out.extend(self._release_held())
        return group_throttled(out)

    def _release_held(self) -> list[Outgoing]:
        """Run the held ticks of partitions that have caught up (or waited long enough)."""
        ticks = self.ticks
        if ticks is None:
            return []
        out: list[Outgoing] = []
        for partition in self.held.partitions():
            oldest = self.held.by_partition[partition][0]
            if ticks.behind(partition) and ticks.clock() - oldest.sent_at < MAX_HOLD:
                continue
            for tick in self.held.release(partition):
                out.extend(self._run_tick(partition, tick))
        return out

    def _fit(self, outgoing: list[Outgoing], m: InputMessage) -> list[Outgoing]:
        """``outgoing`` with every message Kafka would refuse (over
        :data:`~footfall.kafka_clients.MAX_RECORD_BYTES`, a command whose templates
        rendered huge values) replaced by a dead letter of the input that caused it."""
        if all(len(o.value) <= MAX_RECORD_BYTES for o in outgoing):
            return outgoing
        fitted: list[Outgoing] = []
        for o in outgoing:
            if len(o.value) <= MAX_RECORD_BYTES:
                fitted.append(o)
                continue
            error = (
                f"{_describe(o)} is {len(o.value):,} bytes, more than the "
                f"{MAX_RECORD_BYTES:,} a Kafka record may have: not published"
            )
            rejected = self.reject(
                m.topic, m.partition, m.offset, m.key, m.value, "output_too_large", error
            )
            fitted.extend(rejected.outgoing)
        return fitted

    def handle(
        self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None
    ) -> StepResult:
        """Handle one message of ``topic`` (a short name) at ``partition``/``offset``."""
        if topic == TICKS:
            return self._tick(partition, value)
        self.read_to[(topic, partition)] = offset + 1
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
        stored = self.table.get(message.visitor_id)
        state = None if stored is None else VisitorState.from_bytes(stored)
        outcome = self.engine.handle(state, message)
        if outcome.duplicate:
            self.metrics.events_in.labels("duplicate").inc()
            log.debug(
                "duplicate %s %s of %s ignored", message.type, message.identity, message.visitor_id
            )
        elif outcome.purged:
            # from before a purge of the visitor (e.g. the echo of an invitation sent
            # just before it): it must not bring the visitor back
            self.metrics.events_in.labels("after_purge").inc()
            log.debug(
                "%s %s of %s ignored: from before the visitor was purged",
                message.type,
                message.identity,
                message.visitor_id,
            )
        return StepResult(self._apply(partition, message.visitor_id, outcome), message.type)

    def _tick(self, partition: int, value: bytes | None) -> StepResult:
        try:
            tick = decode_tick(value or b"")
        except ValueError:
            log.warning("ignoring an unreadable tick message on partition %d", partition)
            return StepResult([], "tick")
        ticks = self.ticks
        if ticks is not None and tick.time > ticks.clock() + max(60.0, 2 * ticks.interval):
            # ticks come from the leader's wall clock: one from the future would make
            # every real tick look already evaluated
            log.warning("ignoring a tick from the future on partition %d: %s", partition, tick)
            return StepResult([], "tick")
        if (
            ticks is not None
            and (self.held.holding(partition) or ticks.behind(partition))
            and ticks.clock() - tick.sent_at < MAX_HOLD
        ):
            # events older than the tick may still wait in Kafka: run it after them
            self.held.hold(partition, tick)
            self.metrics.events_in.labels("tick:held").inc()
            return StepResult([], "tick")
        return StepResult(self._run_tick(partition, tick), "tick")

    def _run_tick(self, partition: int, tick: Tick) -> list[Outgoing]:
        """Evaluate the partition's due visitors at ``tick`` (after the aligned ticks
        missed since the partition's last one, see :mod:`.tick_marks`)."""
        ticks = self.ticks
        last = self.last_tick.get(partition)
        if last is None and ticks is not None:
            last = decode_mark(self.table.get(mark_key(partition, ticks.partitions)))
        if last is not None and tick.time <= last:
            return []  # already evaluated (a tick re-sent or re-read)
        times = [tick.time]
        if ticks is not None:
            missed = catch_up_times(last, tick.time, ticks.interval, ticks.catch_up)
            if missed:
                self.metrics.events_in.labels("tick:missed").inc(len(missed))
                times = [*missed, tick.time]
        self.last_tick[partition] = tick.time
        self.metrics.events_in.labels("tick").inc()
        self.metrics.tick_lag.set(max(0.0, _time.time() - tick.time))
        out: list[Outgoing] = []
        for at in times:
            out.extend(self._evaluate_at(partition, at))
        if ticks is not None:
            self.table[mark_key(partition, ticks.partitions)] = encode_mark(tick.time)
        self.metrics.online_visitors.set(self.index.listed())
        return out

    def _evaluate_at(self, partition: int, at: float) -> list[Outgoing]:
        out: list[Outgoing] = []
        holds = self.engine.span_holds
        online = self.index.count(partition)
        visitors = (
            self.index.due(partition, lambda span: holds(span, at))
            if self.skip_quiet
            else self.index.visitors(partition)
        )
        self.metrics.tick_visitors.labels("evaluated").inc(len(visitors))
        self.metrics.tick_visitors.labels("passed_over").inc(online - len(visitors))
        for visitor_id in visitors:
            stored = self.table.get(visitor_id)
            if stored is None:
                self.index.mark(partition, visitor_id, False)
                continue
            outcome = self.engine.handle_tick(VisitorState.from_bytes(stored), at)
            out.extend(self._apply(partition, visitor_id, outcome, stored))
        return out

    def _apply(
        self, partition: int, visitor_id: str, outcome: Outcome, stored: bytes | None = None
    ) -> list[Outgoing]:
        """Store the outcome's state (unless it encodes to ``stored``, the bytes it was
        read from: most ticks change nothing, and an unchanged state needs no write and
        no changelog record) and route its candidates."""
        state = outcome.state
        if outcome.duplicate or outcome.purged:
            return []
        if state is None:
            if visitor_id in self.table:
                del self.table[visitor_id]  # a tombstone in the changelog
            self.index.mark(partition, visitor_id, False)
        else:
            encoded = state.to_bytes()
            if encoded != stored:
                self.table[visitor_id] = encoded
            if self.engine.needs_tick(state):  # a purge's tombstone too, until it expires
                span = self.engine.quiet_span(state) if self.skip_quiet else None
                self.index.mark(partition, visitor_id, True, span, tombstone=state.is_tombstone)
            else:
                self.index.mark(partition, visitor_id, False)
        for event in outcome.synthesised:
            self.metrics.events_in.labels(f"{event.type}:synthesised").inc()
        return [self._route(candidate) for candidate in outcome.candidates]

    def _route(self, candidate: Candidate) -> Outgoing:
        command = candidate.command
        if candidate.needs_rule_throttle:
            key = candidate.throttle_key.encode()
            self.metrics.throttle_routed += 1
            return Outgoing(THROTTLE, key, orjson.dumps(candidate.to_dict()))
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


def _describe(o: Outgoing) -> str:
    """What an outgoing message is, for an error message: the command's id and rule."""
    try:
        data = orjson.loads(o.value)
        command = data.get("command", data) if o.topic == THROTTLE else data
        return (
            f"the {o.topic} message of command {command['command_id']} "
            f"(rule {command['rule']['id']}, {command['action']['kind']})"
        )
    except Exception:  # noqa: BLE001 - only for the message
        return f"a {o.topic} message"


#: Largest throttle message built by merging (Kafka refuses records over 1 MB by default).
MAX_THROTTLE_MESSAGE = 256 * 1024


def group_throttled(out: list[Outgoing], most: int = MAX_THROTTLE_MESSAGE) -> list[Outgoing]:
    """``out`` with its throttle messages merged into one per throttle key.

    A throttle message carries one candidate (a JSON object); merged, a JSON list of
    them in their original order, split into several lists (in order) where one would
    pass ``most`` bytes. Every candidate of a key goes to one partition and is decided
    in order either way, so the decisions are the same; the throttle agent just
    receives (and Kafka carries) far fewer messages when a popular rule fires for many
    visitors in one batch.
    """
    grouped: dict[bytes | None, list[list[bytes]]] = {}
    sizes: dict[bytes | None, int] = {}
    kept: list[Outgoing] = []
    for message in out:
        if message.topic != THROTTLE:
            kept.append(message)
            continue
        key, value = message.key, message.value
        chunks = grouped.get(key)
        if chunks is None or sizes[key] + len(value) + 1 > most:
            chunks = grouped.setdefault(key, [])
            chunks.append([])
            sizes[key] = 2  # the brackets
        chunks[-1].append(value)
        sizes[key] += len(value) + 1
    kept.extend(
        Outgoing(THROTTLE, key, b"[" + b",".join(values) + b"]")
        for key, chunks in grouped.items()
        for values in chunks
    )
    return kept
