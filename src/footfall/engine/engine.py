"""The engine: one visitor's state and one input in, the new state and commands out.

:class:`Engine` holds the compiled rules and the timeouts and has three entry points,
one per input the processor reads: :meth:`Engine.handle_event`,
:meth:`Engine.handle_tick` and :meth:`Engine.handle_control`. Each takes the visitor's
state (``None`` for a visitor never seen) and returns an :class:`Outcome`. Nothing here
reads a clock or does I/O: the time is the event's, the tick's or the control
message's. The state given is updated in place and returned; ``Outcome.state`` is
``None`` when the visitor's state must be deleted.

Purge is final for what came before it (SPEC §11). A purge leaves a tombstone (see
:mod:`.state`) for ``EngineConfig.purge_memory``: an event or control message whose time
is at or before the purge's, or caused (``caused_by``) by a command fired before the
purge, is dropped (``Outcome.purged``), changing and firing nothing. Nothing can fire a
command for a tombstone, so while the tombstone lasts every ``caused_by`` input is such
one; once new activity started a fresh state, the fresh state remembers the ids its
own commands will feed back (``VisitorState.issue``) and accepts only those.

A remove is not final: the visitor stays known and comes back with their next
activity. But an input caused by an action (the ``chat_invited`` of an invitation sent
just before the remove, or by a rule on ``online_visitor_removed``) does not bring a
removed visitor back onto the list: it is applied and fires its rule event as for any
visitor who left, without starting a session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mypy_extensions import mypyc_attr

from footfall.engine.commands import Candidate, Evaluation, Trigger, command_id
from footfall.engine.facts import EngineContext, facts_at, tick_facts
from footfall.engine.feedback import derive_id, produces_feedback
from footfall.engine.horizon import MARGIN
from footfall.engine.quiet import QuietSpan, quiet_span, span_holds, still_quiet
from footfall.engine.state import VisitorState
from footfall.engine.throttle import pass_mark, prune_marks
from footfall.engine.timing import TickPlan
from footfall.engine.transitions import TIMED_OUT_KEPT, apply_event, end_session, take_answer
from footfall.events import INVITATION_ANSWERS, CausedBy, Control, Event, format_time

if TYPE_CHECKING:
    from footfall.rules import CompiledRule, RuleSet
    from footfall.settings import Settings

__all__ = ["MAX_DEPTH", "RULE_EVENT_OF", "Engine", "EngineConfig", "Outcome"]

#: Events deeper than this in a cascade fire no rule (SPEC §5).
MAX_DEPTH = 3

#: Input event type -> the rule event it fires.
RULE_EVENT_OF: Mapping[str, str] = {
    "page_view": "online_activity",
    "chat_invited": "live_chat_invited",
    "chat_invitation_accepted": "live_chat_accepted",
    "chat_invitation_rejected": "live_chat_rejected",
    "chat_invitation_ignored": "live_chat_invitation_ignored",
    "chat_started": "live_chat_started",
    "chat_message": "live_chat_message",
    "chat_ended": "live_chat_ended",
    "remove": "online_visitor_removed",
    "purge": "online_visitor_purged",
}
_ONLINE = "online_activity"
_INVITE = "send_live_chat_invitation"
_INF = float("inf")
_MAX_DERIVED_KEY = 100
#: Above this many per-visitor throttle marks, spent ones are dropped when a rule fires
#: (and all of them when a session ends).
_KEEP_MARKS = 32


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Timeouts the engine applies (seconds; ``invitation_timeout`` 0 turns it off)."""

    idle_timeout: float = 900.0
    invitation_timeout: float = 120.0
    #: how long a purge is remembered (its tombstone kept): a day, far longer than
    #: the feedback of a command already fired takes to come back
    purge_memory: float = 86400.0

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        return cls(settings.idle_timeout, settings.invitation_timeout)


@dataclass(slots=True, init=False)
class Outcome:
    """What one input did.

    ``state``: the visitor's new state (``None``: delete it). ``candidates``: commands
    before the per-rule throttle, in firing order. ``synthesised``: events the engine
    made up and already applied (invitation timeouts), for publishing or display.
    ``duplicate``: the input's id was seen before and it was ignored. ``evaluations``:
    how many rules were evaluated. ``purged``: the input came before a purge of the
    visitor (see the module docstring) and was ignored. Treated as immutable; not
    ``frozen``, for the reason given at :class:`~footfall.engine.commands.Command`.
    """

    state: VisitorState | None
    candidates: tuple[Candidate, ...] = ()
    synthesised: tuple[Event, ...] = ()
    duplicate: bool = False
    evaluations: int = 0
    purged: bool = False

    def __init__(
        self,
        state: VisitorState | None,
        candidates: tuple[Candidate, ...] = (),
        synthesised: tuple[Event, ...] = (),
        duplicate: bool = False,
        evaluations: int = 0,
        purged: bool = False,
    ) -> None:
        self.state = state
        self.candidates = candidates
        self.synthesised = synthesised
        self.duplicate = duplicate
        self.evaluations = evaluations
        self.purged = purged


# subclasses (tests' reference engines) may override its methods in a compiled build too
@mypyc_attr(allow_interpreted_subclasses=True)
class Engine:
    """Evaluates a :class:`RuleSet` against visitor state. Replace ``rules`` at will."""

    __slots__ = ("_built", "_rules", "_stale", "config")

    def __init__(self, rules: RuleSet, config: EngineConfig | None = None) -> None:
        self._rules = rules
        self._built: TickPlan | None = None
        self._stale: TickPlan | None = None  # the previous plan, whose splits are reused
        self.config = config or EngineConfig()

    @property
    def rules(self) -> RuleSet:
        return self._rules

    @rules.setter
    def rules(self, rules: RuleSet) -> None:
        self._rules = rules
        if self._built is not None and self._built.rules is not rules:
            # rebuilt on first use: a burst of rule updates costs one rebuild
            self._stale = self._built
            self._built = None

    @property
    def _plan(self) -> TickPlan:
        plan = self._built
        if plan is None:
            plan = self._built = TickPlan(self._rules, self._stale)
            self._stale = None
        return plan

    @staticmethod
    def needs_tick(state: VisitorState | None) -> bool:
        """Whether ticks must visit this visitor: online, with invitations pending, or a
        purge's tombstone (a tick deletes it once it expires)."""
        return state is not None and (state.online or bool(state.pending) or state.is_tombstone)

    def forgets(self, state: VisitorState, now: float) -> bool:
        """Whether ``state`` is a tombstone that has expired at ``now`` (to delete)."""
        purged_at = state.purged_at
        return (
            purged_at is not None
            and state.visits == 0
            and now - purged_at >= self.config.purge_memory
        )

    def _after_purge(
        self, state: VisitorState, time: float, caused_by: CausedBy | None, identity: str
    ) -> bool:
        """Whether an input came before the purge ``state`` remembers (see the module
        docstring); forgets an expired purge first. ``state.purged_at`` is set."""
        purged_at = state.purged_at
        assert purged_at is not None
        if time - purged_at >= self.config.purge_memory:
            state.forget_purge()
            return False
        if time <= purged_at:
            return True
        return caused_by is not None and not state.was_issued(identity)

    # -- entry points ---------------------------------------------------------------------

    def handle_event(self, state: VisitorState | None, event: Event) -> Outcome:
        """Apply a visitor or chat event and fire the rules of its rule event."""
        # (a property, not `state.purged_at is not None`: _after_purge may clear it, and
        # the compiled build would take a narrowed attribute for a float)
        if state is not None and state.remembers_purge:
            tombstone = state.visits == 0
            if self._after_purge(state, event.time, event.caused_by, event.identity):
                return Outcome(state, purged=True)
            if tombstone:
                # new activity (or a purge no longer remembered): a fresh visitor, who
                # keeps the purge time while it is remembered
                remembered = state.purged_at
                if event.type == "session_end":
                    return Outcome(state if remembered is not None else None)
                fresh = VisitorState(event.visitor_id)
                fresh.purged_at = remembered
                state = fresh
        if state is None:
            if event.type == "session_end":
                return Outcome(None)
            state = VisitorState(event.visitor_id)
        if state.seen(event.identity):
            return Outcome(state, duplicate=True)
        out: list[Candidate] = []
        synthesised: list[Event] = []
        evaluations = 0
        if state.pending and event.time >= state.latest:
            evaluations += self._expire_invitations(state, event.time, out, synthesised)
        if event.type in INVITATION_ANSWERS and not take_answer(state, event):
            return Outcome(state, tuple(out), tuple(synthesised), False, evaluations)
        windows = self._rules.max_windows
        if state.windows:
            state.trim_windows(windows)
        # an action's echo does not bring a removed visitor back (module docstring)
        may_start = state.removed_at is None or state.online or event.caused_by is None
        apply_event(state, event, self.config.idle_timeout, windows, may_start=may_start)
        rule_event = RULE_EVENT_OF.get(event.type)
        if rule_event is not None:
            evaluations += self._evaluate_event(state, event, rule_event, out)
        return Outcome(state, tuple(out), tuple(synthesised), False, evaluations)

    def handle_tick(self, state: VisitorState | None, tick_time: float) -> Outcome:
        """Idle removal, then invitation timeouts, then ``online_activity`` on a rising edge.

        An expired tombstone is deleted (state ``None``)."""
        if state is None or self.forgets(state, tick_time):
            return Outcome(None)
        out: list[Candidate] = []
        synthesised: list[Event] = []
        evaluations = self.tick_in_place(state, tick_time, out, synthesised)
        if out or synthesised:
            return Outcome(state, tuple(out), tuple(synthesised), False, evaluations)
        return Outcome(state, (), (), False, evaluations)

    def tick_in_place(
        self, state: VisitorState, tick_time: float, out: list[Candidate], synthesised: list[Event]
    ) -> int:
        """:meth:`handle_tick` without the :class:`Outcome`: updates ``state`` in place,
        appends to ``out`` and ``synthesised``, returns the number of rule evaluations."""
        if state.online and tick_time - state.last_activity >= self.config.idle_timeout:
            end_session(state)
        evaluations = 0
        if state.pending:
            evaluations = self._expire_invitations(state, tick_time, out, synthesised)
        if state.online:
            evaluations += self._tick_online(state, tick_time, out)
        return evaluations

    def handle_control(self, state: VisitorState | None, control: Control) -> Outcome:
        """``remove``: fire ``online_visitor_removed``, end the session, keep lifetime data.

        ``purge``: fire ``online_visitor_purged`` and erase everything, leaving a
        tombstone. Both rule events see the state from before the change. Removing a
        visitor who is not online does nothing; purging one never seen (or purged
        already) fires nothing and leaves (or moves) the tombstone. A control message
        from before a purge is dropped (``Outcome.purged``).
        """
        purge = control.type == "purge"
        if state is not None and state.remembers_purge:  # as in handle_event
            tombstone = state.visits == 0
            if self._after_purge(state, control.time, control.caused_by, control.identity):
                return Outcome(state, purged=True)
            if tombstone:
                if purge:
                    return Outcome(_tombstone(control))
                return Outcome(state if state.remembers_purge else None)
        if state is None:
            return Outcome(_tombstone(control) if purge else None)
        if not purge:
            if state.seen(control.identity):
                return Outcome(state, duplicate=True)
            if not state.online:
                return Outcome(state)
        out: list[Candidate] = []
        rule_event = RULE_EVENT_OF[control.type]
        rules = self._rules.rules_for(rule_event)
        evaluations = 0
        if rules and control.depth <= MAX_DEPTH:
            evaluations = len(rules)
            ctx = EngineContext(state, control.time, facts_at(state, control.time))
            fired = self._permitted(self._rules.matching(rule_event, ctx), control.caused_by)
            if fired:
                self._fire_for(state, fired, ctx, rule_event, control, out)
        if purge:
            return Outcome(_tombstone(control), tuple(out), (), False, evaluations)
        end_session(state)
        state.removed_at = control.time
        return Outcome(state, tuple(out), (), False, evaluations)

    def handle(self, state: VisitorState | None, message: Event | Control) -> Outcome:
        """Dispatch an event or control message."""
        if isinstance(message, Control):
            return self.handle_control(state, message)
        return self.handle_event(state, message)

    # -- evaluation -----------------------------------------------------------------------

    def quiet_span(self, state: VisitorState) -> QuietSpan | None:
        """The ticks that would leave the visitor exactly as it is, firing nothing, as long
        as nothing else happens to it (see :mod:`.quiet`); ``None``: the next tick must
        visit it. Ask right after the engine handled ``state``: a state just decoded
        carries none of the engine's last evaluation."""
        plan = self._built if self._built is not None else self._plan
        config = self.config
        purged_at = state.purged_at
        if purged_at is not None and state.visits == 0:
            # a tombstone: nothing to do until it expires
            return (plan.token, -_INF, purged_at + config.purge_memory - MARGIN, ())
        return quiet_span(state, plan, config.idle_timeout, config.invitation_timeout)

    def span_holds(self, span: QuietSpan | None, tick_time: float) -> bool:
        """Whether a tick at ``tick_time`` falls inside ``span`` (from :meth:`quiet_span`)."""
        plan = self._built if self._built is not None else self._plan
        return span_holds(plan, span, tick_time)

    def _tick_online(self, state: VisitorState, now: float, out: list[Candidate]) -> int:
        """Evaluate ``online_activity`` at a tick; fire only rules with a rising edge."""
        plan = self._built if self._built is not None else self._plan
        count = plan.count
        if not count:
            return 0
        if still_quiet(state, now, plan):
            return count
        ctx = EngineContext(state, now, tick_facts(state, now))
        held = self._online(state, ctx)
        before = state.held
        rising = [rule_id for rule_id in held if rule_id not in before]
        if rising or len(held) != len(before):
            state.held = frozenset(held)
        if rising:
            when = format_time(now)
            by_id = self._rules.rules
            self._fire(
                state,
                [by_id[rule_id] for rule_id in sorted(rising)],
                # the tick facts dict is reused by the next tick: commands keep a copy
                EngineContext(state, now, dict(ctx.facts)),
                _ONLINE,
                "tick",
                None,
                f"tick:{when}",
                when,
                None,
                out,
            )
        return count

    def _online(self, state: VisitorState, ctx: EngineContext) -> list[str]:
        """Ids of the ``online_activity`` rules that hold (see :mod:`.timing`).

        Reuses the visitor's last full evaluation when nothing changed since.
        """
        plan = self._built if self._built is not None else self._plan
        if state._evaluated is plan.token:
            if state._chat_changed:
                state._steady, state._armed = plan.refresh(state._steady, state._armed, ctx)
                state._chat_changed = False
            settled = state._settled
            if settled is None or ctx.now < state._settled_at:
                settled = state._settled = {}
            state._settled_at = ctx.now
            held = state._steady + plan.recheck(state._armed, ctx, settled)
            state._quiet_now = None  # bounds computed on first use (see _tick_online)
            return held
        settled = {}
        steady, armed, clocked = plan.evaluate(ctx, settled)
        state._steady = steady
        state._armed = armed
        state._evaluated = plan.token
        state._chat_changed = False
        state._settled = settled
        state._settled_at = ctx.now
        state._quiet_now = None
        return steady + clocked

    def _evaluate_event(
        self, state: VisitorState, event: Event, rule_event: str, out: list[Candidate]
    ) -> int:
        candidates = self._rules.rules_for(rule_event)
        if not candidates:
            return 0
        caused_by = event.caused_by
        if caused_by is not None and caused_by.depth > MAX_DEPTH:
            return 0
        sent = event.text if event.type == "chat_message" else None
        ctx = EngineContext(state, event.time, facts_at(state, event.time, sent))
        held: Sequence[CompiledRule]
        if rule_event == _ONLINE:
            ids = self._online(state, ctx)
            state.held = frozenset(ids)
            by_id = self._rules.rules
            held = [by_id[rule_id] for rule_id in sorted(ids)]
        else:
            held = self._rules.matching(rule_event, ctx)
        fired = held if caused_by is None else self._permitted(held, caused_by)
        if fired:
            when = format_time(event.time)
            self._fire(
                state,
                fired,
                ctx,
                rule_event,
                "event",
                event.event_id,
                event.identity,
                when,
                caused_by,
                out,
            )
        return len(candidates)

    def _expire_invitations(
        self, state: VisitorState, now: float, out: list[Candidate], synthesised: list[Event]
    ) -> int:
        timeout = self.config.invitation_timeout
        if timeout <= 0:
            return 0
        for sent_at, _ in state.pending.values():
            if sent_at + timeout <= now:
                break
        else:
            return 0  # nothing due (the common case: no list built)
        due = [(k, v) for k, v in state.pending.items() if v[0] + timeout <= now]
        evaluations = 0
        for key, (sent_at, caused) in due:
            del state.pending[key]
            state.mark_resolved(key)
            timed_out = state.timed_out
            timed_out[key] = sent_at + timeout
            if len(timed_out) > TIMED_OUT_KEPT:
                del timed_out[next(iter(timed_out))]
            # the sent time tells apart an invitation id reused after a purge
            short = key if len(key) <= _MAX_DERIVED_KEY else _short(key)
            event_id = f"timeout:{short}@{round(sent_at * 1000)}"
            event = Event(
                type="chat_invitation_ignored",
                visitor_id=state.visitor_id,
                time=sent_at + timeout,
                identity=event_id,
                event_id=event_id,
                invitation_id=key,
                source="timeout",
                caused_by=None if caused is None else CausedBy(caused["rule_id"], caused["depth"]),
            )
            state.seen(event_id)
            apply_event(
                state, event, self.config.idle_timeout, self._rules.max_windows, may_start=False
            )
            synthesised.append(event)
            evaluations += self._evaluate_event(state, event, "live_chat_invitation_ignored", out)
        return evaluations

    def _permitted(
        self, rules: Sequence[CompiledRule], caused_by: CausedBy | None
    ) -> Sequence[CompiledRule]:
        """Drop rules that may not fire on an input caused by ``caused_by``."""
        if caused_by is None or not rules:
            return rules
        if caused_by.depth > MAX_DEPTH:
            return ()
        return [r for r in rules if r.id != caused_by.rule_id]

    def _fire_for(
        self,
        state: VisitorState,
        rules: Sequence[CompiledRule],
        ctx: EngineContext,
        rule_event: str,
        message: Event | Control,
        out: list[Candidate],
    ) -> None:
        self._fire(
            state,
            rules,
            ctx,
            rule_event,
            "event",
            message.event_id,
            message.identity,
            format_time(message.time),
            message.caused_by,
            out,
        )

    def _fire(
        self,
        state: VisitorState,
        rules: Sequence[CompiledRule],
        ctx: EngineContext,
        rule_event: str,
        source: str,
        event_id: str | None,
        identity: str,
        when: str,
        caused_by: CausedBy | None,
        out: list[Candidate],
    ) -> None:
        """Turn fired rules into candidates (per-visitor throttle applied here)."""
        now = ctx.now
        trigger = Trigger(rule_event, source, event_id, when)
        evaluation = Evaluation(ctx.facts, now)
        visitor_id = state.visitor_id
        marks = state.throttle
        if len(marks) > _KEEP_MARKS:
            prune_marks(marks, now)
        after_purge = state.purged_at is not None
        for rule in rules:
            for action in rule.actions:
                suppressed = 0
                if action.max_frequency > 0 and action.per == "visitor":
                    passed = pass_mark(
                        marks, f"{rule.id}#{action.index}", now, action.max_frequency
                    )
                    if passed is None:
                        continue
                    suppressed = passed
                if after_purge and produces_feedback(action.kind):
                    # what it feeds back is this visitor's, not from before the purge
                    cid = command_id(rule.id, rule.version, action.index, visitor_id, identity)
                    purpose = "control" if action.kind != _INVITE else "chat_invited"
                    state.issue(derive_id(cid, purpose))
                out.append(
                    Candidate(
                        rule,
                        action,
                        visitor_id,
                        trigger,
                        identity,
                        evaluation,
                        caused_by,
                        suppressed,
                    )
                )


def _tombstone(control: Control) -> VisitorState:
    """What a purge leaves of a visitor: the id and the purge time, nothing else."""
    grave = VisitorState(control.visitor_id)
    grave.purged_at = control.time
    return grave


def _short(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
