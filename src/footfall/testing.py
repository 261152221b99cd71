"""Helpers for tests and experiments: event and rule builders, a recording engine driver.

engine = Engine(rules_of(rule("r1", when={"hits": {"gte": 2}})))
driver = Driver(engine)
commands = driver.events(page_view("v1", at(0)), page_view("v1", at(10)))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from footfall.engine import Command, Engine, EngineConfig, Outcome, RuleThrottle, VisitorState
from footfall.engine.feedback import feedback_for
from footfall.events import Control, Event, format_time, parse_message, parse_time
from footfall.rules import RuleSet, compile_rules

__all__ = [
    "BASE_TIME",
    "Driver",
    "at",
    "chat",
    "control",
    "email_action",
    "event",
    "page_view",
    "rule",
    "rules_of",
]

#: Monday 2 March 2026, 08:00:00 UTC.
BASE_TIME = 1772438400.0


def at(seconds: float) -> str:
    """RFC 3339 time ``seconds`` after :data:`BASE_TIME`."""
    return format_time(BASE_TIME + seconds)


def event(kind: str, visitor_id: str, time: str, **fields: Any) -> Event:
    """A parsed event of ``kind`` (validated like real input)."""
    message = parse_message({"type": kind, "visitor_id": visitor_id, "time": time, **fields})
    assert isinstance(message, Event)
    return message


def page_view(
    visitor_id: str, time: str, url: str = "https://example.com/", **fields: Any
) -> Event:
    return event("page_view", visitor_id, time, url=url, **fields)


def chat(kind: str, visitor_id: str, time: str, **fields: Any) -> Event:
    return event(kind, visitor_id, time, **fields)


def control(kind: str, visitor_id: str, time: str, **fields: Any) -> Control:
    message = parse_message({"type": kind, "visitor_id": visitor_id, "time": time, **fields})
    assert isinstance(message, Control)
    return message


def email_action(**extra: Any) -> dict[str, Any]:
    """A ``send_email`` action whose subject names the visitor and hits."""
    return {
        "kind": "send_email",
        "to": ["sales@example.com"],
        "subject": "{{visitor_id}} {{hits}}",
        "body": "on {{current_page}}",
        **extra,
    }


def rule(
    rule_id: str,
    *,
    event: str = "online_activity",
    when: Any = None,
    actions: Iterable[Mapping[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A raw rule (admin-owned unless ``owner`` is given) with a ``send_email`` action."""
    raw: dict[str, Any] = {
        "id": rule_id,
        "name": f"Rule {rule_id}",
        "event": event,
        "actions": list(actions) if actions is not None else [email_action()],
        **extra,
    }
    if when is not None:
        raw["when"] = when
    return raw


def rules_of(*raw: Mapping[str, Any]) -> RuleSet:
    return compile_rules(list(raw))


class Driver:
    """Runs inputs through an engine with in-memory state and a rule throttle.

    ``feedback=True`` feeds chat invitations, remove and purge back as the live
    system would. Every command is recorded in ``commands``.
    """

    def __init__(
        self,
        engine: Engine | RuleSet,
        config: EngineConfig | None = None,
        *,
        feedback: bool = False,
    ) -> None:
        self.engine = engine if isinstance(engine, Engine) else Engine(engine, config)
        self.states: dict[str, VisitorState] = {}
        self.throttle = RuleThrottle()
        self.commands: list[Command] = []
        self.synthesised: list[Event] = []
        self.feedback = feedback

    def state(self, visitor_id: str) -> VisitorState | None:
        return self.states.get(visitor_id)

    def send(self, *messages: Event | Control) -> list[Command]:
        """Handle messages (and, with ``feedback``, what their commands feed back)."""
        fired: list[Command] = []
        queue = list(messages)
        while queue:
            message = queue.pop(0)
            outcome = self.engine.handle(self.states.get(message.visitor_id), message)
            new = self._settle(message.visitor_id, outcome)
            fired.extend(new)
            queue.extend(self._fed_back(new))
        return fired

    def tick(self, time: str, *visitor_ids: str) -> list[Command]:
        """Tick the given visitors (default: every visitor with state) at ``time``."""
        when = parse_time(time)
        fired: list[Command] = []
        for visitor_id in visitor_ids or tuple(self.states):
            outcome = self.engine.handle_tick(self.states.get(visitor_id), when)
            new = self._settle(visitor_id, outcome)
            fired.extend(new)
            fed = self._fed_back(new)
            if fed:
                fired.extend(self.send(*fed))
        return fired

    def _fed_back(self, commands: list[Command]) -> list[Event | Control]:
        if not self.feedback:
            return []
        return [m for m in map(feedback_for, commands) if m is not None]

    def _settle(self, visitor_id: str, outcome: Outcome) -> list[Command]:
        state = outcome.state
        if state is None:
            self.states.pop(visitor_id, None)
        else:
            self.states[visitor_id] = state
        self.synthesised.extend(outcome.synthesised)
        fired = []
        for candidate in outcome.candidates:
            command = self.throttle.admit(candidate)
            if command is not None:
                fired.append(command)
        self.commands.extend(fired)
        return fired
