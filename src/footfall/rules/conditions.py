"""The condition tree of a rule's ``when``: groups ``all``/``any``/``not``, bare lists, leaves.

Every node compiles to a function ``(ctx, memo) -> bool`` that stores its result in
``memo`` (a dict owned by one evaluation), so that a condition shared by several rules --
identical leaves or groups anywhere in a rule set -- is evaluated at most once per
matching call. Nodes with the same canonical key are the same function object (interned),
which is what makes the memo shared across rules.

The intern table is a plain dict, emptied when it reaches :data:`MAX_INTERNED` keys (rule
changes in a long-running processor add keys; nothing needs an old entry to be correct:
a rule compiled after a reset evaluates its own copy of a shared condition). It is not a
``WeakValueDictionary``: in a build compiled with mypyc, the tests are native closure
objects that do not clear weak references when freed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from footfall.rules._report import Report, at, show
from footfall.rules.operators import IndexHint, Test, compile_leaf

__all__ = ["GROUPS", "MAX_DEPTH", "MAX_INTERNED", "Node", "compile_when"]

GROUPS = ("all", "any", "not")
MAX_DEPTH = 32

MAX_INTERNED = 65_536

_INTERNED: dict[str, Test] = {}


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled condition: memoising evaluator, identity key and relative cost.

    ``test`` computes the condition (the same object for every node with this key: the
    memo key); ``fn`` is the memoising evaluator of ``test``. ``conjuncts()`` is the
    flattened list of nodes that must all hold (for an ``all`` group, its children; for
    anything else, the node itself); ``index`` is set on single-operator
    string leaves that can be looked up; ``windows`` lists every (count field, seconds)
    the node uses.
    """

    key: str
    test: Test
    fn: Test
    cost: int
    index: IndexHint | None
    windows: tuple[tuple[str, float], ...]
    children: tuple[Node, ...] = ()
    kind: str = "leaf"

    def conjuncts(self) -> tuple[Node, ...]:
        if self.kind == "all":
            return tuple(c for child in self.children for c in child.conjuncts())
        return (self,)


def _shared(key: str, test: Test) -> Test:
    """The one test object of the condition ``key`` (the first compiled), so memo keys match."""
    existing = _INTERNED.get(key)
    if existing is not None:
        return existing
    if len(_INTERNED) >= MAX_INTERNED:
        _INTERNED.clear()
    _INTERNED[key] = test
    return test


def _memoised(test: Test) -> Test:
    """An evaluator that computes ``test`` at most once per memo (memo key: the test)."""

    def node(ctx: Any, memo: dict[Any, bool]) -> bool:
        result = memo.get(test)
        if result is None:
            result = memo[test] = test(ctx, memo)
        return result

    return node


def compile_when(raw: object, path: str, timezone: str, report: Report) -> Node | None:
    """Compile a ``when`` value at ``path``; None when invalid (problems reported)."""
    return _compile(raw, path, timezone, report, 0)


def _compile(raw: object, path: str, timezone: str, report: Report, depth: int) -> Node | None:
    if depth > MAX_DEPTH:
        report.add(path, f"conditions nest deeper than {MAX_DEPTH} levels")
        return None
    if isinstance(raw, list):
        return _group("all", raw, path, timezone, report, depth)
    if not isinstance(raw, Mapping):
        report.add(path, f"expected a condition (a field, all, any or not), got {show(raw)}")
        return None
    if not raw:
        report.add(path, "empty condition: name a field or a group (all, any, not)")
        return None
    if len(raw) > 1:
        keys = ", ".join(str(k) for k in raw)
        report.add(
            path, f"a condition has exactly one key, got {keys} (combine them with all: [...])"
        )
        return None
    ((key, value),) = raw.items()
    if key in ("all", "any"):
        sub = at(path, key)
        if not isinstance(value, list):
            report.add(sub, f"expected a list of conditions, got {show(value)}")
            return None
        return _group(key, value, sub, timezone, report, depth)
    if key == "not":
        inner = _compile(value, at(path, "not"), timezone, report, depth + 1)
        if inner is None:
            return None
        inner_fn = inner.fn
        nkey = "not" + orjson.dumps([inner.key]).decode()
        ntest = _shared(nkey, lambda ctx, memo: not inner_fn(ctx, memo))
        return Node(
            key=nkey,
            test=ntest,
            fn=_memoised(ntest),
            cost=inner.cost,
            index=None,
            windows=inner.windows,
            children=(inner,),
            kind="not",
        )
    leaf = compile_leaf(key, value, path, timezone, report)
    if leaf is None:
        return None
    test = _shared(leaf.key, leaf.test)
    return Node(
        key=leaf.key,
        test=test,
        fn=_memoised(test),
        cost=leaf.cost,
        index=leaf.index,
        windows=(leaf.window,) if leaf.window else (),
    )


def _group(
    kind: str, items: Sequence[object], path: str, timezone: str, report: Report, depth: int
) -> Node | None:
    if kind == "any" and not items:
        report.add(path, "an 'any' group needs at least one condition")
        return None
    children: list[Node] = []
    ok = True
    for i, item in enumerate(items):
        child = _compile(item, at(path, i), timezone, report, depth + 1)
        if child is None:
            ok = False
        else:
            children.append(child)
    if not ok:
        return None
    if kind == "all":
        children = [c for child in children for c in child.conjuncts()]
    ordered = tuple(sorted(children, key=lambda n: n.cost))
    tests = tuple(c.test for c in ordered)
    # JSON-encoding the child keys keeps group keys unambiguous whatever the leaves hold.
    gkey = kind + orjson.dumps(sorted(c.key for c in ordered)).decode()
    # The memo lookups are inlined (rather than calling each child's ``fn``): this is the
    # hot path of every rule with a group.
    if kind == "all":

        def test(ctx: Any, memo: dict[Any, bool]) -> bool:
            for child in tests:
                result = memo.get(child)
                if result is None:
                    result = memo[child] = child(ctx, memo)
                if not result:
                    return False
            return True

    else:

        def test(ctx: Any, memo: dict[Any, bool]) -> bool:
            for child in tests:
                result = memo.get(child)
                if result is None:
                    result = memo[child] = child(ctx, memo)
                if result:
                    return True
            return False

    shared = _shared(gkey, test)
    return Node(
        key=gkey,
        test=shared,
        fn=_memoised(shared),
        cost=sum(c.cost for c in ordered),
        index=None,
        windows=tuple(w for c in ordered for w in c.windows),
        children=ordered,
        kind=kind,
    )
