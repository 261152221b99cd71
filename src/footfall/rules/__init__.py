"""The rule language (SPEC §4, §5): loading, validation, compilation and matching.

Pure: no I/O except reading rule files in :mod:`footfall.rules.loader`, no clock (the
evaluation time comes in the :class:`EvalContext`).

    rules = compile_rules(load_rule_files(["rules/"]))   # RuleValidationError lists every problem
    for rule in rules.matching("online_activity", ctx):   # enabled rules whose `when` holds
        for action in rule.actions:
            params = action.render(values)
"""

from __future__ import annotations

from footfall.rules.actions import ACTION_KINDS, ACTION_PARAMETERS, CompiledAction
from footfall.rules.compiler import (
    CompiledRule,
    Owner,
    canonical_rule,
    compile_rule,
    compile_rules,
    rule_version,
)
from footfall.rules.context import EvalContext, StaticContext
from footfall.rules.events import ADMIN_ONLY_EVENTS, RULE_EVENTS
from footfall.rules.exceptions import RuleError, RuleIssue, RuleValidationError
from footfall.rules.fields import FACT_FIELDS, FIELDS, FieldSpec, FieldType
from footfall.rules.loader import RuleSource, SourcedRule, load_rule_files, read_definition_files
from footfall.rules.ruleset import RuleSet
from footfall.rules.templates import PLACEHOLDERS

__all__ = [
    "ACTION_KINDS",
    "ACTION_PARAMETERS",
    "ADMIN_ONLY_EVENTS",
    "FACT_FIELDS",
    "FIELDS",
    "PLACEHOLDERS",
    "RULE_EVENTS",
    "CompiledAction",
    "CompiledRule",
    "EvalContext",
    "FieldSpec",
    "FieldType",
    "Owner",
    "RuleError",
    "RuleIssue",
    "RuleSet",
    "RuleSource",
    "RuleValidationError",
    "SourcedRule",
    "StaticContext",
    "canonical_rule",
    "compile_rule",
    "compile_rules",
    "load_rule_files",
    "read_definition_files",
    "rule_version",
]
