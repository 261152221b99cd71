"""Action commands (SPEC §7), the candidates the engine emits, and command ids.

The engine emits a :class:`Candidate` for every action of every rule that fires and
passes the per-visitor throttle. A candidate whose action is throttled per rule must
pass a :class:`footfall.engine.throttle.RuleThrottle` before it becomes a command;
every other candidate already is one (``candidate.command``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import orjson

from footfall.engine.facts import ordered_json_facts, with_local_time
from footfall.events import CausedBy

if TYPE_CHECKING:
    from footfall.rules import CompiledAction, CompiledRule

__all__ = ["Candidate", "Command", "Evaluation", "RuleRef", "Trigger", "command_id"]


def command_id(
    rule_id: str, version: str, action_index: int, visitor_id: str, trigger_identity: str
) -> str:
    """The deterministic id of a command: 32 hex digits of a BLAKE2b digest.

    ``trigger_identity`` is the event's ``event_id``, else the digest of its canonical
    JSON; for events an action fed back or the engine synthesised, the id derived from
    the command or invitation behind them; for ticks ``tick:<RFC 3339 time>``.
    """
    text = "\x1f".join((rule_id, version, str(action_index), visitor_id, trigger_identity))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class RuleRef:
    """The rule a command comes from, as the command carries it."""

    id: str
    name: str
    version: str
    owner_role: str
    owner_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "owner": {"role": self.owner_role, "id": self.owner_id},
        }


@dataclass(slots=True, init=False)
class Trigger:
    """What fired a rule: the rule event, ``event`` or ``tick``, the event id and time.

    Treated as immutable; not ``frozen``, for the reason given at :class:`Command`.
    """

    event: str
    source: str
    event_id: str | None
    time: str

    def __init__(self, event: str, source: str, event_id: str | None, time: str) -> None:
        self.event = event
        self.source = source
        self.event_id = event_id
        self.time = time

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "source": self.source,
            "event_id": self.event_id,
            "time": self.time,
        }


@dataclass(slots=True, init=False)
class Command:
    """One action command as published on ``actions``.

    Treated as immutable (``dataclasses.replace`` makes changed copies) but not
    ``frozen``: a frozen dataclass sets each field through ``object.__setattr__``, and the
    ``__init__`` written out here is what the compiled build compiles (a generated one
    stays interpreted). A test checks it matches the fields.
    """

    command_id: str
    rule: RuleRef
    action_index: int
    action_kind: str
    params: Mapping[str, Any]
    visitor_id: str
    trigger: Trigger
    facts: Mapping[str, Any]
    fired_at: str
    suppressed_since_last: int
    caused_by: CausedBy | None

    def __init__(
        self,
        command_id: str,
        rule: RuleRef,
        action_index: int,
        action_kind: str,
        params: Mapping[str, Any],
        visitor_id: str,
        trigger: Trigger,
        facts: Mapping[str, Any],
        fired_at: str,
        suppressed_since_last: int,
        caused_by: CausedBy | None,
    ) -> None:
        self.command_id = command_id
        self.rule = rule
        self.action_index = action_index
        self.action_kind = action_kind
        self.params = params
        self.visitor_id = visitor_id
        self.trigger = trigger
        self.facts = facts
        self.fired_at = fired_at
        self.suppressed_since_last = suppressed_since_last
        self.caused_by = caused_by

    def to_dict(self) -> dict[str, Any]:
        """The SPEC §7 JSON object, fields in the SPEC's order."""
        return {
            "command_id": self.command_id,
            "rule": self.rule.to_dict(),
            "action": {
                "index": self.action_index,
                "kind": self.action_kind,
                "params": self.params,
            },
            "visitor_id": self.visitor_id,
            "trigger": self.trigger.to_dict(),
            "facts": self.facts,
            "fired_at": self.fired_at,
            "suppressed_since_last": self.suppressed_since_last,
            "caused_by": None if self.caused_by is None else self.caused_by.to_dict(),
        }

    def to_json(self) -> bytes:
        """Deterministic orjson bytes (same command, same bytes)."""
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Command:
        rule = data["rule"]
        owner = rule.get("owner") or {}
        action = data["action"]
        trigger = data["trigger"]
        caused_by = data.get("caused_by")
        return cls(
            command_id=data["command_id"],
            rule=RuleRef(
                rule["id"], rule["name"], rule["version"], owner.get("role", ""), owner.get("id")
            ),
            action_index=int(action["index"]),
            action_kind=action["kind"],
            params=action.get("params") or {},
            visitor_id=data["visitor_id"],
            trigger=Trigger(
                trigger["event"], trigger["source"], trigger.get("event_id"), trigger["time"]
            ),
            facts=data.get("facts") or {},
            fired_at=data["fired_at"],
            suppressed_since_last=int(data.get("suppressed_since_last", 0)),
            caused_by=None
            if caused_by is None
            else CausedBy(caused_by["rule_id"], int(caused_by["depth"])),
        )

    @classmethod
    def from_json(cls, data: bytes) -> Command:
        return cls.from_dict(orjson.loads(data))


class Evaluation:
    """What the candidates of one evaluation share: facts, built into JSON once, lazily.

    ``facts`` is what the rules saw (``facts_at``, in catalogue order); ``json(timezone)``
    the JSON form commands carry, with the local time and day of that zone.
    """

    __slots__ = ("_by_zone", "_json", "facts", "now")

    def __init__(self, facts: Mapping[str, object], now: float) -> None:
        self.facts = facts
        self.now = now
        self._json: dict[str, object] | None = None
        self._by_zone: dict[str, dict[str, object]] = {}

    def json(self, timezone: str) -> dict[str, object]:
        out = self._by_zone.get(timezone)
        if out is None:
            if self._json is None:
                self._json = ordered_json_facts(self.facts)
            out = self._by_zone[timezone] = with_local_time(self._json, timezone, self.now)
        return out


#: The RuleRef of each compiled rule (a rule version), keyed by the rule object's id;
#: the entry keeps the rule alive, so an id is never reused while it is cached. Bounded.
_RULE_REFS: dict[int, tuple[CompiledRule, RuleRef]] = {}
_RULE_REFS_MAX = 4096


def _rule_ref(rule: CompiledRule) -> RuleRef:
    """The rule header of ``rule``'s commands, built once per rule version."""
    entry = _RULE_REFS.get(id(rule))
    if entry is not None and entry[0] is rule:
        return entry[1]
    if len(_RULE_REFS) >= _RULE_REFS_MAX:
        _RULE_REFS.clear()
    ref = RuleRef(rule.id, rule.name, rule.version, rule.owner.role, rule.owner.id)
    _RULE_REFS[id(rule)] = (rule, ref)
    return ref


class Candidate:
    """A command before the per-rule throttle, built only when it is needed.

    ``now`` is the evaluation time (epoch seconds). ``needs_rule_throttle`` is True when
    the action sets ``max_frequency`` with ``per: rule``; such candidates must go through
    a :class:`RuleThrottle` (keyed by ``throttle_key``) shared by all visitors. Reading
    ``command`` (or ``to_dict``) renders the templates and computes the command id.
    """

    __slots__ = (
        "_command",
        "action",
        "caused_by",
        "evaluation",
        "identity",
        "max_frequency",
        "now",
        "per",
        "rule",
        "suppressed",
        "throttle_key",
        "trigger",
        "visitor_id",
    )

    def __init__(
        self,
        rule: CompiledRule,
        action: CompiledAction,
        visitor_id: str,
        trigger: Trigger,
        identity: str,
        evaluation: Evaluation,
        caused_by: CausedBy | None,
        suppressed: int,
    ) -> None:
        self.rule: CompiledRule | None = rule
        self.action: CompiledAction | None = action
        self.visitor_id = visitor_id
        self.trigger = trigger
        self.identity = identity
        self.evaluation: Evaluation | None = evaluation
        self.caused_by = caused_by
        self.suppressed = suppressed
        self.max_frequency = action.max_frequency
        self.per = action.per
        self.now = evaluation.now
        self.throttle_key = f"{rule.id}#{action.index}"
        self._command: Command | None = None

    @property
    def needs_rule_throttle(self) -> bool:
        return self.max_frequency > 0 and self.per == "rule"

    @property
    def command(self) -> Command:
        """The command (carrying the per-visitor suppressed count)."""
        command = self._command
        if command is None:
            command = self._command = self._build()
        return command

    def _build(self) -> Command:
        rule, action, evaluation = self.rule, self.action, self.evaluation
        assert rule is not None and action is not None and evaluation is not None
        facts = evaluation.json(rule.timezone)
        values = dict(facts)
        values["visitor_id"] = self.visitor_id
        values["rule.id"] = rule.id
        values["rule.name"] = rule.name
        values["event.type"] = self.trigger.event
        values["event.time"] = self.trigger.time
        return Command(
            command_id=command_id(
                rule.id, rule.version, action.index, self.visitor_id, self.identity
            ),
            rule=_rule_ref(rule),
            action_index=action.index,
            action_kind=action.kind,
            params=action.render(values),
            visitor_id=self.visitor_id,
            trigger=self.trigger,
            facts=facts,
            fired_at=self.trigger.time,
            suppressed_since_last=self.suppressed,
            caused_by=self.caused_by,
        )

    def admitted(self, suppressed_since_last: int) -> Command:
        """The command this candidate becomes, carrying the suppressed count."""
        command = self.command
        if suppressed_since_last == command.suppressed_since_last:
            return command
        return replace(command, suppressed_since_last=suppressed_since_last)

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command.to_dict(),
            "max_frequency": self.max_frequency,
            "per": self.per,
            "now": self.now,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Candidate:
        """A candidate read back from its dict (already built: no rule needed)."""
        return _ReadBack(
            Command.from_dict(data["command"]),
            float(data["max_frequency"]),
            str(data["per"]),
            float(data["now"]),
        )

    def __repr__(self) -> str:
        return f"Candidate({self.throttle_key!r}, {self.visitor_id!r}, {self.trigger!r})"


class _ReadBack(Candidate):
    """A candidate read back from its dict: its command is built, it has no rule."""

    __slots__ = ()

    def __init__(self, command: Command, max_frequency: float, per: str, now: float) -> None:
        self.rule = self.action = self.evaluation = None
        self.visitor_id = command.visitor_id
        self.trigger = command.trigger
        self.identity = ""
        self.caused_by = command.caused_by
        self.suppressed = command.suppressed_since_last
        self.max_frequency = max_frequency
        self.per = per
        self.now = now
        self.throttle_key = f"{command.rule.id}#{command.action_index}"
        self._command = command
