"""Value classes whose ``__init__`` is written out (so that the compiled build compiles it)
must still set exactly their dataclass fields, in order, with the fields' defaults."""

from __future__ import annotations

import ast
import sys
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pytest

from footfall.engine import Command, Outcome, RuleRef, Trigger, VisitorState
from footfall.events import CausedBy, Event


def source_annotations(cls: type) -> dict[str, str]:
    """The field annotations as written in the class's source (a compiled class keeps
    only erased ones: ``str | None`` becomes ``type``)."""
    compiled = Path(sys.modules[cls.__module__].__file__ or "")
    source = compiled.parent / (compiled.name.split(".")[0] + ".py")
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            return {
                item.target.id: ast.unparse(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    raise AssertionError(f"{cls.__name__} not found in {source}")


def sample(annotation: str, name: str) -> Any:
    """A value of the field's type that no other field gets (the compiled build checks types)."""
    base = annotation.removesuffix(" | None")
    if base == "str":
        return f"{name}-value"
    if base == "float":
        return float(len(name)) + 0.25
    if base in {"int", "bool"}:
        return len(name) if base == "int" else True
    if base == "CausedBy":
        return CausedBy(f"{name}-rule", 2)
    if base == "RuleRef":
        return RuleRef(f"{name}-id", "n", "v", "admin", None)
    if base == "Trigger":
        return Trigger(f"{name}-event", "event", None, "t")
    if base == "Mapping[str, Any]":
        return {name: 1}
    if base == "VisitorState":
        return VisitorState(f"{name}-visitor")
    if base.startswith("tuple["):
        return (f"{name}-item",)
    raise AssertionError(f"no sample for {annotation}")


@pytest.mark.parametrize("cls", [Event, Command, Trigger, Outcome])
def test_the_init_sets_every_field_by_keyword_and_in_order(cls: type) -> None:
    declared = fields(cls)
    annotations = source_annotations(cls)
    values = {f.name: sample(annotations[f.name], f.name) for f in declared}
    for made in (cls(**values), cls(*values.values())):
        for f in declared:
            assert getattr(made, f.name) == values[f.name], f.name
    required = {f.name: values[f.name] for f in declared if f.default is MISSING}
    made = cls(**required)
    for f in declared:
        if f.default is not MISSING:
            assert getattr(made, f.name) == f.default, f.name
