"""``footfall simulate``'s core: the engine on a virtual clock, with no Kafka and no I/O.

Messages (events and control messages) drive the clock. Ticks fall on multiples of
the tick interval (since the Unix epoch) from the first message's time to the last
one's (or an end time). Before a message at time ``t`` every tick before ``t`` runs;
a tick at exactly ``t`` runs after the messages at ``t``. A tick visits, in the order
they first needed ticking, every visitor who is online or has unanswered invitations
(so that invitations of visitors who left still time out), passing over those whose
quiet span covers the tick (:meth:`Engine.quiet_span`, as the processor does).
When many ticks are due at once (a gap between messages), the ticks that would pass
over every visitor are counted, not run: the clock jumps to the first tick at which a
visitor's span ends, so no gap, however long, costs work in proportion to its length.

Commands pass the per-rule throttle inline; those that produce events in the live
system (chat invitations, remove, purge) feed them back at once, before the next input.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from footfall.engine import (
    Candidate,
    Command,
    Engine,
    EngineConfig,
    Outcome,
    RuleThrottle,
    VisitorState,
    feedback_for,
)
from footfall.engine.quiet import QuietSpan
from footfall.events import Control, Event
from footfall.rules import RuleSet

__all__ = ["Simulation", "SimulationStats"]

#: A jump over quiet ticks is looked for when more than this many ticks are due at once
#: (messages of a busy stream are closer: their ticks run one by one, as they did).
_JUMP_AFTER = 4
#: How far ahead (minutes) the time-only conditions of the rules are followed for a
#: change: 15 days hold every local weekday and minute of the day in any time zone,
#: so results that do not change in them never change.
_NOW_REACH = 15 * 1440


@dataclass(slots=True)
class SimulationStats:
    """Counters of one simulation run."""

    messages: int = 0
    duplicates: int = 0
    ticks: int = 0
    visitor_ticks: int = 0
    passed_over: int = 0  # visitor ticks inside the visitor's quiet span: not evaluated
    tick_evaluations: int = 0
    evaluations: int = 0
    candidates: int = 0
    commands: int = 0
    fed_back: int = 0
    synthesised: int = 0
    peak_online: int = 0


class Simulation:
    """Feeds messages and ticks through one :class:`Engine`; yields commands in firing order."""

    def __init__(
        self, rules: RuleSet, config: EngineConfig | None = None, tick: float = 30.0
    ) -> None:
        if tick <= 0:
            raise ValueError("the tick interval must be longer than 0")
        self.engine = Engine(rules, config)
        self.throttle = RuleThrottle()
        self.tick = tick
        self.states: dict[str, VisitorState] = {}
        #: visitors ticks visit -> the ticks that would change nothing for them (None: the
        #: next tick visits; set after each tick visit, cleared by each message)
        self.ticking: dict[str, QuietSpan | None] = {}
        self.clock: float | None = None
        self._index: int | None = None  # the next tick is at _index * tick (no drift)
        self.stats = SimulationStats()

    def feed(self, message: Event | Control) -> Iterator[Command]:
        """Run the ticks due before ``message``, then the message and what it feeds back."""
        if self._index is None:
            self._index = math.ceil(message.time / self.tick)
        out: list[Command] = []
        self._run_ticks(message.time, False, out)
        if self.clock is None or message.time > self.clock:
            self.clock = message.time
        self.stats.messages += 1
        self._process(message, out)
        yield from out

    def finish(self, until: float | None = None) -> Iterator[Command]:
        """Run the remaining ticks up to ``until`` (default: the latest message time)."""
        end = until if until is not None else self.clock
        if end is not None:
            yield from self.run_ticks(end, inclusive=True)

    def run_ticks(self, before: float, *, inclusive: bool) -> Iterator[Command]:
        """Run every tick due before (or at, when ``inclusive``) ``before``."""
        out: list[Command] = []
        self._run_ticks(before, inclusive, out)
        yield from out

    def _run_ticks(self, before: float, inclusive: bool, out: list[Command]) -> None:
        if self._index is None:
            return
        tick = self.tick
        # the last tick index due: every tick at or before (or strictly before) `before`
        last = math.floor(before / tick)
        if not inclusive and last * tick >= before:
            last -= 1
        while self._index <= last:
            if not self.ticking:
                # nobody to visit: skip to the last tick due (counted, not run)
                self.stats.ticks += last - self._index
                self._index = last
            elif last - self._index > _JUMP_AFTER:
                due = self._next_due(self._index, last)
                if due > self._index:
                    # every visitor would be passed over until then (counted, not run)
                    stats = self.stats
                    skipped = due - self._index
                    stats.ticks += skipped
                    stats.visitor_ticks += skipped * len(self.ticking)
                    stats.passed_over += skipped * len(self.ticking)
                    self._index = due
                    if due > last:
                        break
            self._tick(self._index * tick, out)
            self._index += 1

    def _next_due(self, first: int, last: int) -> int:
        """The first tick index from ``first`` to ``last`` at which a tick would visit a
        visitor (not pass it over), or ``last + 1`` when none would: the end of the
        earliest quiet span, or a change in the results of the rules' time-only
        conditions that a span was taken with. May be earlier, never later."""
        engine = self.engine
        tick = self.tick
        due = last + 1
        timed: dict[tuple[bool, ...], QuietSpan] = {}
        for span in self.ticking.values():
            if span is None or not engine.span_holds(span, first * tick):
                return first
            until = span[2]
            if until < due * tick:
                # the first tick at or after `until` (later than the tick at `first`)
                j = max(first + 1, math.ceil(until / tick) - 1)
                while j * tick < until:
                    j += 1
                due = min(due, j)
            if span[3]:
                timed.setdefault(span[3], span)
        if not timed:
            return due
        # the time-only results are constant within a UTC minute: follow them a minute
        # at a time, from the minute of the tick after `first`
        start = (first + 1) * tick
        minute = math.floor(start / 60)
        end = due * tick
        for step in range(_NOW_REACH):
            at = max(start, (minute + step) * 60.0)
            if at >= end:
                return due
            for span in timed.values():
                if not engine.span_holds(span, at):
                    # the first tick at or after the minute of the change
                    return max(first + 1, min(due, math.floor(at / tick)))
        return due

    @property
    def next_tick(self) -> float | None:
        """The time of the next tick, once the first message set the clock."""
        return None if self._index is None else self._index * self.tick

    def _tick(self, at: float, out: list[Command]) -> None:
        stats = self.stats
        stats.ticks += 1
        engine = self.engine
        states = self.states
        candidates: list[Candidate] = []
        synthesised: list[Event] = []
        ticking = self.ticking
        quiet = engine.span_holds
        for visitor_id, span in list(ticking.items()):
            stats.visitor_ticks += 1
            if span is not None and quiet(span, at):
                stats.passed_over += 1
                continue
            state = states.get(visitor_id)
            if state is None:
                self._settle_and_feed(visitor_id, engine.handle_tick(None, at), out)
                continue
            stats.tick_evaluations += engine.tick_in_place(state, at, candidates, synthesised)
            if candidates or synthesised or not (state.online or state.pending):
                outcome = Outcome(state, tuple(candidates), tuple(synthesised))
                candidates.clear()
                synthesised.clear()
                self._settle_and_feed(visitor_id, outcome, out)
            elif visitor_id in ticking:
                # updated in place, still needs ticks: which ones it can skip
                ticking[visitor_id] = engine.quiet_span(state)

    def _process(self, message: Event | Control, out: list[Command]) -> None:
        """Handle a message, then what its commands feed back (breadth first)."""
        queue: deque[Event | Control] = deque([message])
        engine = self.engine
        stats = self.stats
        while queue:
            current = queue.popleft()
            visitor_id = current.visitor_id
            outcome = engine.handle(self.states.get(visitor_id), current)
            stats.evaluations += outcome.evaluations
            if outcome.duplicate:
                stats.duplicates += 1
            first = len(out)
            self._settle(visitor_id, outcome, out)
            for command in out[first:]:
                fed = feedback_for(command)
                if fed is not None:
                    stats.fed_back += 1
                    queue.append(fed)

    def _settle_and_feed(self, visitor_id: str, outcome: Outcome, out: list[Command]) -> None:
        first = len(out)
        self._settle(visitor_id, outcome, out)
        fed: list[Event | Control] = []
        for command in out[first:]:
            message = feedback_for(command)
            if message is not None:
                self.stats.fed_back += 1
                fed.append(message)
        for message in fed:
            self._process(message, out)

    def _settle(self, visitor_id: str, outcome: Outcome, out: list[Command]) -> None:
        """Store the outcome's state, keep the tick set, admit its candidates into ``out``."""
        state = outcome.state
        stats = self.stats
        stats.synthesised += len(outcome.synthesised)
        if state is None:
            self.states.pop(visitor_id, None)
            self.ticking.pop(visitor_id, None)
        else:
            self.states[visitor_id] = state
            if state.online or state.pending:
                fresh = visitor_id not in self.ticking
                self.ticking[visitor_id] = None  # changed: the next tick visits
                if fresh:
                    stats.peak_online = max(stats.peak_online, len(self.ticking))
            else:
                self.ticking.pop(visitor_id, None)
        for candidate in outcome.candidates:
            stats.candidates += 1
            command = self.throttle.admit(candidate)
            if command is not None:
                stats.commands += 1
                out.append(command)
