"""Reading rule files (and other definition files: profiles, providers) from disk.

A path is a file or a directory. A directory means every ``*.yaml``, ``*.yml`` and
``*.json`` directly inside it, in name order. A ``.json`` file is read as JSON, anything
else as YAML (safe loader; several ``---`` documents allowed; a key repeated in one
mapping is an error rather than silently overriding). A document holds one object or a
list of objects.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from footfall.rules.exceptions import RuleIssue, RuleValidationError

__all__ = ["RuleSource", "SourcedRule", "load_rule_files", "read_definition_files"]

SUFFIXES = (".yaml", ".yml", ".json")

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc]
    """A safe YAML loader that rejects duplicate keys in a mapping."""


def _construct_mapping(
    loader: Any, node: yaml.MappingNode, deep: bool = False
) -> dict[Hashable, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
    mapping: dict[Hashable, Any] = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True, slots=True)
class RuleSource:
    """Where a definition came from: the file and its position in the file's list."""

    path: str
    index: int | None = None

    def __str__(self) -> str:
        return self.path if self.index is None else f"{self.path}[{self.index}]"


@dataclass(frozen=True, slots=True)
class SourcedRule:
    """A raw definition (as read, not yet validated) and where it came from."""

    data: Mapping[str, Any]
    source: RuleSource


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    else:
        yield path


def _documents(path: Path, text: str) -> list[Any]:
    if path.suffix.lower() == ".json":
        return [orjson.loads(text)]
    return [doc for doc in yaml.load_all(text, Loader=_StrictLoader) if doc is not None]


def _syntax_message(path: Path, exc: Exception) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    if isinstance(exc, orjson.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return f"cannot read the file: {exc}"


def read_definition_files(
    paths: Sequence[str | Path], what: str = "rule"
) -> tuple[list[SourcedRule], list[RuleIssue]]:
    """Read every definition in ``paths``; return them and the problems of unreadable files."""
    found: list[SourcedRule] = []
    issues: list[RuleIssue] = []
    for given in paths:
        root = Path(given)
        if not root.exists():
            issues.append(RuleIssue(str(root), "", "no such file or directory", str(root)))
            continue
        files = list(_files(root))
        if not files:
            issues.append(
                RuleIssue(
                    str(root), "", "no *.yaml, *.yml or *.json files in this directory", str(root)
                )
            )
        for path in files:
            name = str(path)
            try:
                docs = _documents(path, path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError, orjson.JSONDecodeError) as exc:
                issues.append(RuleIssue(name, "", _syntax_message(path, exc), name))
                continue
            items: list[Any] = []
            listed = len(docs) > 1
            for doc in docs:
                if isinstance(doc, list):
                    listed = True
                    items.extend(doc)
                else:
                    items.append(doc)
            for i, item in enumerate(items):
                source = RuleSource(name, i if listed else None)
                if not isinstance(item, Mapping):
                    issues.append(
                        RuleIssue(
                            str(source),
                            "",
                            f"expected a {what} object, got {type(item).__name__}",
                            name,
                        )
                    )
                    continue
                found.append(SourcedRule(item, source))
    return found, issues


def load_rule_files(paths: Sequence[str | Path]) -> list[SourcedRule]:
    """Read the rules in ``paths`` (files or directories); RuleValidationError if unreadable."""
    found, issues = read_definition_files(paths, "rule")
    if issues:
        raise RuleValidationError(issues)
    return found
