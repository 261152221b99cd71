"""The pure engine core: visitor state, sessions, ticks, rule firing, throttling, commands.

No Kafka, no I/O, no clock. The processor and ``footfall simulate`` are two thin shells
around :class:`Engine` (see ``docs/engine.md``)::

    engine = Engine(rules, EngineConfig.from_settings(settings))
    outcome = engine.handle_event(state, event)   # or handle_tick / handle_control
    for candidate in outcome.candidates:
        command = rule_throttle.admit(candidate)  # None when throttled per rule
"""

from footfall.engine.commands import Candidate, Command, Evaluation, RuleRef, Trigger, command_id
from footfall.engine.engine import MAX_DEPTH, RULE_EVENT_OF, Engine, EngineConfig, Outcome
from footfall.engine.facts import facts_at, json_facts
from footfall.engine.feedback import derive_id, feedback_for, produces_feedback
from footfall.engine.state import VisitorState
from footfall.engine.summary import visitor_summary
from footfall.engine.throttle import RuleThrottle, admit

__all__ = [
    "MAX_DEPTH",
    "RULE_EVENT_OF",
    "Candidate",
    "Command",
    "Engine",
    "EngineConfig",
    "Evaluation",
    "Outcome",
    "RuleRef",
    "RuleThrottle",
    "Trigger",
    "VisitorState",
    "admit",
    "command_id",
    "derive_id",
    "facts_at",
    "feedback_for",
    "json_facts",
    "produces_feedback",
    "visitor_summary",
]
