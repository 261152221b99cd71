"""Validating and compiling whole rules: one function used by validate, push, simulate
and the processor. Every problem of every rule is reported, each with rule id and path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from footfall.rules._report import Report, at, show
from footfall.rules.actions import MAX_ACTIONS, CompiledAction, compile_action
from footfall.rules.clock import load_zone
from footfall.rules.conditions import Node, compile_when
from footfall.rules.context import EvalContext
from footfall.rules.events import ADMIN_ONLY_EVENTS, RULE_EVENTS
from footfall.rules.exceptions import RuleIssue, RuleValidationError
from footfall.rules.limits import check_rule_size
from footfall.rules.loader import SourcedRule

if TYPE_CHECKING:
    from footfall.rules.ruleset import RuleSet

__all__ = [
    "RULE_ID",
    "CompiledRule",
    "Owner",
    "canonical_rule",
    "compile_rule",
    "compile_rules",
    "rule_version",
]

RULE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
RULE_KEYS = ("id", "name", "enabled", "owner", "event", "timezone", "when", "actions")
_REQUIRED = ("id", "name", "event", "actions")
_OWNER_ID = re.compile(r"[^\s:]{1,128}")


@dataclass(frozen=True, slots=True)
class Owner:
    """Who owns a rule: ``role`` admin or agent; agents always have an ``id``."""

    role: str
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "id": self.id}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A validated rule ready to evaluate. ``data`` is its canonical JSON form."""

    id: str
    name: str
    version: str
    owner: Owner
    event: str
    enabled: bool
    timezone: str
    data: Mapping[str, Any] = field(repr=False)
    actions: tuple[CompiledAction, ...] = field(repr=False)
    when: Node | None = field(default=None, repr=False, compare=False)

    @property
    def conjuncts(self) -> tuple[Node, ...]:
        """The top-level conditions that must all hold, cheapest first."""
        return self.when.conjuncts() if self.when is not None else ()

    @property
    def windows(self) -> tuple[tuple[str, float], ...]:
        return self.when.windows if self.when is not None else ()

    def holds(self, ctx: EvalContext) -> bool:
        """Whether ``when`` holds for this evaluation (absent ``when`` always holds)."""
        return self.when is None or self.when.fn(ctx, {})


def canonical_rule(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The rule with top-level defaults filled in (enabled, owner, timezone).

    Two spellings of the same rule (YAML or JSON, key order, an explicit default or
    none) have the same canonical form, hence the same version.
    """
    data = dict(raw)
    data.setdefault("enabled", True)
    data.setdefault("timezone", "UTC")
    owner = data.get("owner", {"role": "admin"})
    if isinstance(owner, Mapping):
        owner = dict(owner)
        owner.setdefault("id", None)
    data["owner"] = owner
    return data


def rule_version(raw: Mapping[str, Any] | SourcedRule) -> str:
    """12 hex digits of the SHA-256 of the canonical rule as sorted, compact JSON."""
    data = raw.data if isinstance(raw, SourcedRule) else raw
    body = orjson.dumps(
        canonical_rule(data), option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
    )
    return hashlib.sha256(body).hexdigest()[:12]


def _label(raw: object, position: int | None, source: str | None) -> str:
    if isinstance(raw, Mapping):
        rid = raw.get("id")
        if isinstance(rid, str) and rid:
            return rid
    if position is not None:
        return f"<rule #{position + 1}>"
    return f"<rule in {source}>" if source else "<rule>"


def _compile(
    raw: object, position: int | None, source: str | None
) -> tuple[CompiledRule | None, list[RuleIssue]]:
    report = Report()
    rule = _check(raw, report)
    label = _label(raw, position, source)
    issues = [RuleIssue(label, path, message, source) for path, message in report.items]
    return (None if issues else rule), issues


def compile_rule(raw: Mapping[str, Any] | SourcedRule) -> CompiledRule:
    """Validate and compile one rule; raise RuleValidationError listing every problem."""
    data, source = (raw.data, str(raw.source)) if isinstance(raw, SourcedRule) else (raw, None)
    rule, issues = _compile(data, None, source)
    if rule is None:
        raise RuleValidationError(issues)
    return rule


def compile_rules(raw: Sequence[Mapping[str, Any] | SourcedRule]) -> RuleSet:
    """Validate and compile rules into a RuleSet, or raise with every problem of every rule."""
    from footfall.rules.ruleset import RuleSet

    compiled: list[CompiledRule] = []
    issues: list[RuleIssue] = []
    first_seen: dict[str, str] = {}
    for position, item in enumerate(raw):
        data, source = (
            (item.data, str(item.source)) if isinstance(item, SourcedRule) else (item, None)
        )
        rule, problems = _compile(data, position, source)
        issues.extend(problems)
        rid = data.get("id") if isinstance(data, Mapping) else None
        if isinstance(rid, str) and rid:
            where = source or f"rule #{position + 1}"
            if rid in first_seen:
                issues.append(
                    RuleIssue(
                        rid, "id", f"duplicate id (first defined in {first_seen[rid]})", source
                    )
                )
            else:
                first_seen[rid] = where
        if rule is not None:
            compiled.append(rule)
    if issues:
        raise RuleValidationError(issues)
    return RuleSet(compiled)


def _check(raw: object, report: Report) -> CompiledRule | None:
    if not isinstance(raw, Mapping):
        report.add("", f"a rule must be an object, got {show(raw)}")
        return None
    if not check_rule_size(raw, report):
        # Too big, too deep or with integers no JSON encoder writes: reported alone,
        # before any other check walks (or encodes) the rule.
        return None
    for key in raw:
        if key not in RULE_KEYS:
            report.add("", f"unknown key {show(key)}")
    for key in _REQUIRED:
        if key not in raw:
            report.add("", f"missing key {key!r}")
    rid = raw.get("id")
    if "id" in raw and (not isinstance(rid, str) or not RULE_ID.fullmatch(rid)):
        report.add(
            "id",
            f"invalid id {show(rid)}: use 1-128 of a-z, 0-9, '.', '_', '-', "
            "starting with a letter or digit",
        )
    name = raw.get("name")
    if "name" in raw and (not isinstance(name, str) or not name.strip()):
        report.add("name", f"expected a non-empty string, got {show(name)}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        report.add("enabled", f"expected true or false, got {show(enabled)}")
    owner = _owner(raw.get("owner", {"role": "admin"}), report)
    event = raw.get("event")
    if "event" in raw:
        if not isinstance(event, str) or event not in RULE_EVENTS:
            report.add(
                "event", f"unknown event {show(event)} (use {', '.join(sorted(RULE_EVENTS))})"
            )
        elif owner is not None and owner.role == "agent" and event in ADMIN_ONLY_EVENTS:
            report.add("event", f"only admin rules may use {event!r}")
    timezone = raw.get("timezone", "UTC")
    tz_ok = isinstance(timezone, str)
    if tz_ok:
        try:
            load_zone(timezone)
        except ValueError as exc:
            report.add("timezone", str(exc))
            tz_ok = False
    else:
        report.add(
            "timezone",
            f"expected an IANA time zone name such as 'Europe/Berlin', got {show(timezone)}",
        )
    when: Node | None = None
    if "when" in raw and raw["when"] is not None:
        # Conditions are checked even with a bad time zone; UTC stands in for it.
        when = compile_when(raw["when"], "when", timezone if tz_ok else "UTC", report)
    actions = _actions(raw.get("actions"), "actions" in raw, report)
    if report:
        return None
    assert isinstance(rid, str) and isinstance(name, str) and isinstance(event, str)
    assert owner is not None and isinstance(enabled, bool) and isinstance(timezone, str)
    return CompiledRule(
        id=rid,
        name=name,
        version=rule_version(raw),
        owner=owner,
        event=event,
        enabled=enabled,
        timezone=timezone,
        data=canonical_rule(raw),
        actions=actions,
        when=when,
    )


def _owner(value: object, report: Report) -> Owner | None:
    if not isinstance(value, Mapping):
        report.add("owner", f"expected {{role: admin|agent, id: ...}}, got {show(value)}")
        return None
    ok = True
    for key in value:
        if key not in ("role", "id"):
            report.add("owner", f"unknown key {show(key)}")
            ok = False
    role = value.get("role")
    if role not in ("admin", "agent"):
        report.add(at("owner", "role"), f"expected 'admin' or 'agent', got {show(role)}")
        return None
    oid = value.get("id")
    if oid is None:
        if role == "agent":
            report.add("owner", "an agent owner needs an id")
            return None
    elif not isinstance(oid, str) or not _OWNER_ID.fullmatch(oid):
        report.add(
            at("owner", "id"),
            f"expected an id of 1-128 characters without spaces or ':', got {show(oid)}",
        )
        return None
    return Owner(str(role), oid) if ok else None


def _actions(value: object, present: bool, report: Report) -> tuple[CompiledAction, ...]:
    if not present:
        return ()
    if not isinstance(value, list):
        report.add("actions", f"expected a list of 1 to {MAX_ACTIONS} actions, got {show(value)}")
        return ()
    if not 1 <= len(value) <= MAX_ACTIONS:
        report.add("actions", f"expected 1 to {MAX_ACTIONS} actions, got {len(value)}")
    out = []
    for i, item in enumerate(value):
        action = compile_action(item, i, at("actions", i), report)
        if action is not None:
            out.append(action)
    return tuple(out)
