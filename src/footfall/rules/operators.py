"""Condition leaves ``{FIELD: {OP: VALUE, ...}}``: validation and compilation to closures.

A leaf compiles once into a test ``(ctx, memo) -> bool``. String comparisons are
case-insensitive (both sides case-folded); ``matches`` and ``contains_words`` use RE2,
whose running time is linear in the input whatever the pattern. A field with no value
fails every operator except ``exists: false``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import re2

from footfall.rules._report import Report, at, show
from footfall.rules.clock import clock_for
from footfall.rules.context import EvalContext
from footfall.rules.fields import CHAT_STATUSES, FIELDS, FieldSpec, FieldType
from footfall.rules.limits import MAX_PATTERN_CHARS, MAX_WORDS, MAX_WORDS_CHARS
from footfall.rules.values import (
    ValueProblem,
    fact_ip,
    parse_cidr,
    parse_datetime,
    parse_day,
    parse_ip,
    parse_number,
    parse_positive_duration,
    parse_string,
    parse_time,
)

__all__ = ["OPERATORS", "IndexHint", "Leaf", "Test", "compile_leaf", "operators_for"]

Test = Callable[[EvalContext, dict[Any, bool]], bool]
Pred = Callable[[Any, float], bool]

ANY_OPS = ("eq", "ne", "in", "not_in", "exists")
STRING_OPS = ("contains", "not_contains", "starts_with", "ends_with", "matches", "contains_words")
ORDER_OPS = ("gt", "gte", "lt", "lte", "between")
DATETIME_OPS = ("within", "older_than")
IP_OPS = ("in_cidr",)
WINDOW = "window"
OPERATORS: frozenset[str] = frozenset(
    ANY_OPS + STRING_OPS + ORDER_OPS + DATETIME_OPS + IP_OPS + (WINDOW,)
)

_BY_TYPE: dict[FieldType, tuple[str, ...]] = {
    FieldType.STRING: ANY_OPS + STRING_OPS,
    FieldType.TEXT: ANY_OPS + STRING_OPS,
    FieldType.STATUS: ANY_OPS,
    FieldType.DAY: ANY_OPS,
    FieldType.TIME: ANY_OPS + ORDER_OPS,
    FieldType.NUMBER: ANY_OPS + ORDER_OPS,
    FieldType.COUNT: ANY_OPS + ORDER_OPS,
    FieldType.DATETIME: ANY_OPS + ORDER_OPS + DATETIME_OPS,
    FieldType.IP: ANY_OPS + IP_OPS,
}
_COMPARISONS = frozenset(("eq", "ne", "in", "not_in", *ORDER_OPS))
#: Per ``matches`` leaf, results remembered for this many values of at most so many
#: characters (the RE2 call through its Python wrapper costs a few microseconds).
_MATCH_MEMO = 1024
_MATCH_MEMO_CHARS = 256
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.case_sensitive = False
_RE2_OPTIONS.log_errors = False
_WORD_EDGE = r"[^\pL\pN_]"
_ORDER = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
_COST = {
    FieldType.STRING: 1,
    FieldType.TEXT: 2,
    FieldType.STATUS: 1,
    FieldType.DAY: 3,
    FieldType.TIME: 3,
    FieldType.NUMBER: 2,
    FieldType.COUNT: 2,
    FieldType.DATETIME: 2,
    FieldType.IP: 4,
}


def operators_for(spec: FieldSpec) -> tuple[str, ...]:
    """The operators a field accepts (``window`` included for windowable counts)."""
    ops = _BY_TYPE[spec.type]
    return (*ops, WINDOW) if spec.windowable else ops


@dataclass(frozen=True, slots=True)
class IndexHint:
    """How a single-operator string leaf can be looked up instead of evaluated.

    ``kind`` is ``eq`` (``needles`` holds every accepted case-folded value), ``prefix``,
    ``suffix`` or ``contains`` (one needle each).
    """

    field: str
    kind: str
    needles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A compiled leaf: its identity (for sharing), test, relative cost and index hint."""

    key: str
    field: str
    test: Test
    cost: int
    index: IndexHint | None
    window: tuple[str, float] | None


def compile_leaf(
    field: object, ops: object, path: str, timezone: str, report: Report
) -> Leaf | None:
    """Validate ``{field: ops}`` at ``path``; the compiled leaf, or None (problems reported)."""
    if not isinstance(field, str):
        report.add(path, f"a field name must be a string, got {show(field)}")
        return None
    spec = FIELDS.get(field)
    if spec is None:
        report.add(at(path, field), f"unknown field {field!r}")
        return None
    fpath = at(path, field)
    if not isinstance(ops, Mapping):
        report.add(fpath, f"expected operators such as {{eq: ...}}, got {show(ops)}")
        return None
    if not ops:
        report.add(fpath, "no operator given")
        return None
    allowed = operators_for(spec)
    before = len(report)
    preds: list[tuple[str, Pred]] = []
    on_missing = True
    window: float | None = None
    hint: IndexHint | None = None
    for op, value in ops.items():
        if not isinstance(op, str) or op not in OPERATORS:
            report.add(
                fpath, f"unknown operator {show(op) if not isinstance(op, str) else repr(op)}"
            )
            continue
        if op not in allowed:
            report.add(
                fpath,
                f"operator {op!r} does not apply to {spec.type.value} field {field!r} "
                f"(use {', '.join(allowed)})",
            )
            continue
        opath = at(fpath, op)
        try:
            if op == WINDOW:
                window = parse_positive_duration(value)
                continue
            if op == "exists":
                if not isinstance(value, bool):
                    raise ValueProblem(f"expected true or false, got {show(value)}")
                on_missing = on_missing and not value
                preds.append((op, _const(value)))
                continue
            on_missing = False
            pred, op_hint = _predicate(spec, op, value)
            preds.append((op, pred))
            hint = op_hint
        except ValueProblem as exc:
            report.add(opath, str(exc))
    if window is not None and not any(op in _COMPARISONS for op, _ in preds):
        report.add(at(fpath, WINDOW), "'window' needs a comparison such as gte or lt beside it")
    if len(report) > before:
        return None
    key = _leaf_key(field, ops, timezone if field in ("time_of_day", "day_of_week") else None)
    fast = None
    if len(preds) == 1:
        fast = _fast_test(spec, ops, timezone) if window is None else _fast_window(ops, name=field)
    test = fast or _combine(_getter(spec, timezone, window), [p for _, p in preds], on_missing)
    cost = _COST[spec.type] + (4 if window is not None else 0)
    cost += sum(6 for op, _ in preds if op in ("matches", "contains_words"))
    return Leaf(
        key=key,
        field=field,
        test=test,
        cost=cost,
        index=hint if len(preds) == 1 and window is None else None,
        window=(field, window) if window is not None else None,
    )


def _fast_test(spec: FieldSpec, ops: Mapping[Any, Any], timezone: str) -> Test | None:
    """A single closure for the most common single-operator leaves (the hot path).

    Same semantics as the generic getter + predicate pair, one Python call instead of three.
    """
    ((op, value),) = ops.items()
    name = spec.name
    kind = spec.type
    if op == "exists" and kind not in (
        FieldType.TIME,
        FieldType.DAY,
        FieldType.COUNT,
        FieldType.IP,
    ):
        present = bool(value)
        return lambda ctx, memo: (ctx.facts.get(name) is not None) is present
    if kind is FieldType.TIME and op == "between":
        minute_and_day = clock_for(timezone).minute_and_day
        low, high = parse_time(value[0]), parse_time(value[1])
        if low <= high:
            return lambda ctx, memo: low <= minute_and_day(ctx.now)[0] <= high

        def wrapping(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
            minute = minute_and_day(ctx.now)[0]
            return minute >= low or minute <= high

        return wrapping
    if kind is FieldType.DAY and op in ("in", "not_in"):
        minute_and_day = clock_for(timezone).minute_and_day
        days = frozenset(parse_day(v) for v in value)
        if op == "in":
            return lambda ctx, memo: minute_and_day(ctx.now)[1] in days
        return lambda ctx, memo: minute_and_day(ctx.now)[1] not in days
    if kind in (FieldType.STRING, FieldType.TEXT) and op == "matches":
        search = re2.compile(value, _RE2_OPTIONS).search
        # the result depends on the value alone, and page titles and names repeat
        results: dict[str, bool] = {}

        def matches(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
            v: Any = ctx.facts.get(name)
            if v is None:
                return False
            hit = results.get(v)
            if hit is None:
                hit = search(v) is not None
                if len(v) <= _MATCH_MEMO_CHARS:
                    if len(results) >= _MATCH_MEMO:
                        results.clear()
                    results[v] = hit
            return hit

        return matches
    if kind in (FieldType.STRING, FieldType.TEXT) and op in _FAST_STRING_OPS:
        if op == "in" or op == "not_in":
            items = frozenset(parse_string(v, allow_empty=True).casefold() for v in value)
        else:
            needle = parse_string(value, allow_empty=op == "eq" or op == "ne").casefold()
        if op == "eq":

            def eq(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
                v: Any = ctx.facts.get(name)
                return v is not None and v.casefold() == needle

            return eq
        if op == "in":

            def in_(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
                v: Any = ctx.facts.get(name)
                return v is not None and v.casefold() in items

            return in_
        if op == "contains":

            def contains(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
                v: Any = ctx.facts.get(name)
                return v is not None and needle in v.casefold()

            return contains
        if op == "starts_with":

            def starts_with(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
                v: Any = ctx.facts.get(name)
                return v is not None and v.casefold().startswith(needle)

            return starts_with
        return None
    if kind is FieldType.COUNT and op in _ORDER:
        cmp: Callable[[Any, Any], bool] = _ORDER[op]
        bound = parse_number(value)

        def count(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
            v: Any = ctx.facts.get(name) or 0
            return cmp(v, bound)

        return count
    if kind is FieldType.NUMBER and op in _ORDER:
        ncmp = _ORDER[op]
        nbound = parse_number(value)

        def number(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
            v: Any = ctx.facts.get(name)
            return v is not None and ncmp(v, nbound)

        return number
    if kind is FieldType.NUMBER and op == "between":
        nlow, nhigh = parse_number(value[0]), parse_number(value[1])

        def between(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
            v: Any = ctx.facts.get(name)
            return v is not None and nlow <= v <= nhigh

        return between
    return None


_FAST_STRING_OPS = frozenset(("eq", "in", "contains", "starts_with"))


def _fast_window(ops: Mapping[Any, Any], name: str) -> Test | None:
    """One closure for a windowed count with one order comparison (``{gte: 3, window: 5m}``):
    the count is never missing, so it is the comparison of the count alone."""
    ((op, value),) = ((k, v) for k, v in ops.items() if k != WINDOW)
    if op not in _ORDER:
        return None
    cmp: Callable[[Any, Any], bool] = _ORDER[op]
    bound = parse_number(value)
    seconds = parse_positive_duration(ops[WINDOW])

    def windowed(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
        return cmp(ctx.window_count(name, seconds), bound)

    return windowed


def _leaf_key(field: str, ops: Mapping[Any, Any], timezone: str | None) -> str:
    body = orjson.dumps(ops, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return f"{field}@{timezone or ''}:{body.decode()}"


def _const(value: bool) -> Pred:
    return (lambda v, now: True) if value else (lambda v, now: False)


def _getter(spec: FieldSpec, timezone: str, window: float | None) -> Callable[[EvalContext], Any]:
    name = spec.name
    kind = spec.type
    if kind is FieldType.TIME:
        clock = clock_for(timezone)
        return lambda ctx: clock.minute_and_day(ctx.now)[0]
    if kind is FieldType.DAY:
        clock = clock_for(timezone)
        return lambda ctx: clock.minute_and_day(ctx.now)[1]
    if kind is FieldType.COUNT:
        if window is not None:
            seconds = window
            return lambda ctx: ctx.window_count(name, seconds)
        return lambda ctx: ctx.facts.get(name) or 0
    if kind is FieldType.IP:

        def get_ip(ctx: EvalContext) -> Any:
            v = ctx.facts.get(name)
            return fact_ip(v) if isinstance(v, str) else None

        return get_ip
    if kind in (FieldType.STRING, FieldType.TEXT, FieldType.STATUS):

        def get_text(ctx: EvalContext) -> Any:
            v = ctx.facts.get(name)
            return v if v is None or v.__class__ is str else str(v)

        return get_text
    return lambda ctx: ctx.facts.get(name)


def _combine(get: Callable[[EvalContext], Any], preds: list[Pred], on_missing: bool) -> Test:
    if len(preds) == 1:
        (pred,) = preds

        def single(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
            v = get(ctx)
            if v is None:
                return on_missing
            return pred(v, ctx.now)

        return single

    def several(ctx: EvalContext, memo: dict[Any, bool]) -> bool:
        v = get(ctx)
        if v is None:
            return on_missing
        now = ctx.now
        # A loop: faster than all()/any() over a generator on this hot path.
        for pred in preds:  # noqa: SIM110
            if not pred(v, now):
                return False
        return True

    return several


def _predicate(spec: FieldSpec, op: str, value: object) -> tuple[Pred, IndexHint | None]:
    """The predicate on a present value for one operator, and an index hint if any."""
    kind = spec.type
    if op in ("eq", "ne", "in", "not_in"):
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise ValueProblem(f"expected a non-empty list, got {show(value)}")
            items = frozenset(_scalar(kind, v) for v in value)
        else:
            items = frozenset((_scalar(kind, value),))
        negate = op in ("ne", "not_in")
        if kind in (FieldType.STRING, FieldType.TEXT, FieldType.STATUS):
            hint = IndexHint(spec.name, "eq", tuple(sorted(items))) if not negate else None
            if negate:
                return (lambda v, now: v.casefold() not in items), None
            if len(items) == 1:
                (one,) = items
                return (lambda v, now: v.casefold() == one), hint
            return (lambda v, now: v.casefold() in items), hint
        if negate:
            return (lambda v, now: v not in items), None
        return (lambda v, now: v in items), None
    if op in _ORDER:
        bound = _ordered(kind, value)
        cmp = _ORDER[op]
        return (lambda v, now: cmp(v, bound)), None
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueProblem(f"expected a list [low, high], got {show(value)}")
        low, high = _ordered(kind, value[0]), _ordered(kind, value[1])
        if low > high:
            if kind is FieldType.TIME:
                return (lambda v, now: v >= low or v <= high), None
            raise ValueProblem(f"low {show(value[0])} is greater than high {show(value[1])}")
        return (lambda v, now: low <= v <= high), None
    if op == "within":
        span = parse_positive_duration(value)
        return (lambda v, now: now - v <= span), None
    if op == "older_than":
        span = parse_positive_duration(value)
        return (lambda v, now: now - v > span), None
    if op == "in_cidr":
        if not isinstance(value, list) or not value:
            raise ValueProblem(f"expected a non-empty list of CIDR blocks, got {show(value)}")
        nets = tuple(parse_cidr(v) for v in value)
        return (lambda v, now: any(v in net for net in nets)), None
    return _string_predicate(spec, op, value)


def _string_predicate(spec: FieldSpec, op: str, value: object) -> tuple[Pred, IndexHint | None]:
    if op == "matches":
        pattern = parse_string(value)
        if len(pattern) > MAX_PATTERN_CHARS:
            raise ValueProblem(
                f"the regular expression has {len(pattern):,} characters, more than the "
                f"{MAX_PATTERN_CHARS:,} allowed: {show(pattern)}"
            )
        try:
            rx = re2.compile(pattern, _RE2_OPTIONS)
        except re2.error as exc:
            raise ValueProblem(
                f"bad regular expression {show(pattern)}: {_re2_message(exc)}"
            ) from None
        return (lambda v, now: rx.search(v) is not None), None
    if op == "contains_words":
        rx = _words_regex(value)
        return (lambda v, now: rx.search(v) is not None), None
    needle = parse_string(value).casefold()
    if op == "contains":
        return (lambda v, now: needle in v.casefold()), IndexHint(spec.name, "contains", (needle,))
    if op == "not_contains":
        return (lambda v, now: needle not in v.casefold()), None
    if op == "starts_with":
        return (lambda v, now: v.casefold().startswith(needle)), IndexHint(
            spec.name, "prefix", (needle,)
        )
    return (lambda v, now: v.casefold().endswith(needle)), IndexHint(spec.name, "suffix", (needle,))


def _words_regex(value: object) -> Any:
    """The RE2 search of ``contains_words``: any listed word or phrase as a whole word."""
    if not isinstance(value, list) or not value:
        raise ValueProblem(f"expected a non-empty list of words, got {show(value)}")
    if len(value) > MAX_WORDS:
        raise ValueProblem(
            f"{len(value):,} words, more than the {MAX_WORDS:,} allowed in one list "
            "(split them over several conditions in an any group)"
        )
    words = [parse_string(w).strip() for w in value]
    if not all(words):
        raise ValueProblem("a word cannot be blank")
    chars = sum(len(w) for w in words)
    if chars > MAX_WORDS_CHARS:
        raise ValueProblem(
            f"the words have {chars:,} characters in all, more than the "
            f"{MAX_WORDS_CHARS:,} allowed in one list (split them over several conditions "
            "in an any group)"
        )
    alternatives = "|".join(re2.escape(w) for w in sorted(set(words)))
    try:
        return re2.compile(f"(?:^|{_WORD_EDGE})(?:{alternatives})(?:{_WORD_EDGE}|$)", _RE2_OPTIONS)
    except re2.error as exc:  # within the limits above RE2 has room; said plainly anyway
        raise ValueProblem(
            f"the words make a pattern too large to search: {_re2_message(exc)} "
            "(split them over several conditions in an any group)"
        ) from None


def _re2_message(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return text if len(text) <= 200 else text[:197] + "..."


def _scalar(kind: FieldType, value: object) -> Any:
    """A value for eq/ne/in/not_in, parsed and normalised as facts are compared."""
    if kind in (FieldType.STRING, FieldType.TEXT):
        return parse_string(value, allow_empty=True).casefold()
    if kind is FieldType.STATUS:
        text = parse_string(value).strip().lower()
        if text not in CHAT_STATUSES:
            raise ValueProblem(
                f"expected one of {', '.join(sorted(CHAT_STATUSES))}, got {show(value)}"
            )
        return text
    if kind is FieldType.DAY:
        return parse_day(value)
    if kind is FieldType.IP:
        return parse_ip(value)
    return _ordered(kind, value)


def _ordered(kind: FieldType, value: object) -> Any:
    if kind is FieldType.TIME:
        return parse_time(value)
    if kind is FieldType.DATETIME:
        return parse_datetime(value)
    return parse_number(value)
