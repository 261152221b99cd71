"""Reading rule files (and other definition files: profiles, providers) from disk.

A path is a file or a directory. A directory means every ``*.yaml``, ``*.yml`` and
``*.json`` directly inside it, in name order. A ``.json`` file is read as JSON, anything
else as YAML (safe loader; several ``---`` documents allowed; a key repeated in one
mapping is an error rather than silently overriding). A document holds one object or a
list of objects.

Hostile files are refused before they cost time or memory (:mod:`footfall.rules.limits`):
a file is read up to 1 MiB, a YAML file composes at most 100,000 values, and each YAML
document is measured as composed, before any value is built -- anchors and aliases
(merge keys included) are allowed, but an alias inside the value it names, a document
nesting deeper than 100 levels, or a file whose aliases add more than 100,000 values when
expanded ("billion laughs") is refused.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from footfall.rules.exceptions import RuleIssue, RuleValidationError
from footfall.rules.limits import (
    INT_MAX,
    INT_MIN,
    MAX_ALIAS_VALUES,
    MAX_FILE_BYTES,
    MAX_FILE_NODES,
    MAX_NESTING,
)

__all__ = ["RuleSource", "SourcedRule", "load_rule_files", "read_definition_files"]

SUFFIXES = (".yaml", ".yml", ".json")

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _RefusedDocument(yaml.YAMLError):
    """A YAML document too large, too deep or self-referencing to build (see limits)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _StrictLoader(_BaseLoader):  # type: ignore[misc]
    """A safe YAML loader that rejects duplicate keys in a mapping and hostile documents."""

    _nodes = 0  # nodes composed from this file so far (one loader reads one file)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Called for (almost) every node as the file is composed: counting here stops a
        # dense file before its nodes cost more than a fraction of a second.
        self._nodes += 1
        if self._nodes > MAX_FILE_NODES:
            raise _RefusedDocument(
                f"the file has more than {MAX_FILE_NODES:,} values (split it into several files)",
                None,
            )
        return super().resolve(kind, value, implicit)

    _expanded = 0  # values the aliases of this file's documents add, so far

    def construct_document(self, node: yaml.Node) -> Any:
        self._expanded += _measure(node, MAX_ALIAS_VALUES - self._expanded)
        return super().construct_document(node)


def _measure(root: yaml.Node, budget: int) -> int:
    """Refuse a composed document that is cyclic, too deep or too large once expanded.

    An alias is the very node it names, so the document is a graph of shared nodes; its
    size with aliases expanded is computed once per node (depth first, no recursion),
    in time proportional to the file, not to the expansion. What aliases add beyond the
    distinct nodes is bounded, so building and validating the document costs time
    proportional to the file plus at most :data:`MAX_ALIAS_VALUES` values. Returns what
    the aliases add (an alias of a scalar counts as a value of its own: it takes bytes in
    the file); refuses beyond ``budget``.
    """
    scalar = yaml.ScalarNode
    mapping = yaml.MappingNode
    done: dict[int, tuple[int, int]] = {}  # node id -> (values expanded, nesting levels)
    open_: set[int] = set()
    distinct = 0
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if node.__class__ is scalar:
            continue
        key = id(node)
        children = (
            [part for pair in node.value for part in pair]
            if isinstance(node, mapping)
            else node.value
        )
        if finished:
            open_.discard(key)
            size = depth = 1
            for child in children:
                if child.__class__ is scalar:
                    size += 1
                    distinct += 1
                else:
                    count, levels = done[id(child)]
                    size += count
                    depth = max(depth, levels + 1)
            distinct += 1
            # ``distinct`` counts the nodes measured so far (scalars once per use, which
            # only lowers the estimate): the subtree holds at most that many distinct
            # nodes, so ``size - distinct`` is at most what its aliases add.
            if size - distinct > budget:
                raise _RefusedDocument(
                    f"YAML aliases expand the document by more than {MAX_ALIAS_VALUES:,} "
                    "values (each use of an alias counts its value again)",
                    node.start_mark,
                )
            if depth > MAX_NESTING:
                raise _RefusedDocument(
                    f"the document nests deeper than {MAX_NESTING} levels", node.start_mark
                )
            done[key] = (size, depth)
            continue
        if key in done:
            continue
        if key in open_:
            raise _RefusedDocument(
                "a YAML alias refers to a value that contains it (the value would be infinite)",
                node.start_mark,
            )
        open_.add(key)
        stack.append((node, True))
        stack.extend(
            (child, False) for child in reversed(children) if child.__class__ is not scalar
        )
    if root.__class__ is scalar:
        return 0
    return max(0, done[id(root)][0] - distinct)


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

#: Characters of an integer YAML scalar (beyond them Python refuses to convert decimal
#: digits, and sexagesimal ones cost quadratic time); far beyond the 64-bit range anyway.
_MAX_INT_CHARS = 1000


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    if len(node.value) > _MAX_INT_CHARS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"integer out of range: an integer of {len(node.value):,} characters "
            f"(integers go from -2^63 to 2^64-1, {INT_MIN} to {INT_MAX})",
            node.start_mark,
        )
    value: int = yaml.SafeLoader.construct_yaml_int(loader, node)
    return value


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


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


def _read(path: Path) -> str:
    with path.open("rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _RefusedFile(
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB "
            f"({MAX_FILE_BYTES:,} bytes): split it into several files"
        )
    return data.decode("utf-8")


class _RefusedFile(Exception):
    """A file refused before it is parsed."""


def _syntax_message(path: Path, exc: Exception) -> str:
    if isinstance(exc, _RefusedFile):
        return str(exc)
    if isinstance(exc, _RefusedDocument):
        if exc.mark is None:
            return f"refused: {exc.message}"
        mark = exc.mark
        return f"refused at line {mark.line + 1}, column {mark.column + 1}: {exc.message}"
    if isinstance(exc, RecursionError):
        return "the document nests too deeply to read"
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
                docs = _documents(path, _read(path))
            except (
                OSError,
                UnicodeDecodeError,
                yaml.YAMLError,
                orjson.JSONDecodeError,
                _RefusedFile,
                RecursionError,
            ) as exc:
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
