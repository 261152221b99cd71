"""Collecting validation problems with their path inside a rule (internal)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import orjson

__all__ = ["Report", "at", "show"]


class Report:
    """Problems found while validating one rule, as (path, message) pairs."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


def at(path: str, key: str | int) -> str:
    """Extend a path: ``when`` + ``all`` is ``when.all``; ``when.all`` + 1 is ``when.all[1]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def show(value: object, limit: int = 60) -> str:
    """A short, readable spelling of a user-supplied value for error messages.

    Its cost is bounded whatever the value: a large, deep or shared (YAML aliases)
    structure is spelled only up to ``limit`` characters.
    """
    if isinstance(value, str):
        text = repr(value[: limit + 1])
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = str(value)
    elif _small(value):
        try:
            text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()
        except (TypeError, orjson.JSONEncodeError):
            text = _preview(value, limit + 1)
    else:
        text = _preview(value, limit + 1)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: Values spelled in full (then cut) when they have at most this many parts.
_SMALL_PARTS = 64
_SMALL_CHARS = 4096


def _small(value: object) -> bool:
    """Whether ``value`` is small enough to encode whole (no recursion, bounded steps)."""
    budget = _SMALL_PARTS
    chars = 0
    stack = [value]
    while stack:
        item = stack.pop()
        budget -= 1
        if budget < 0:
            return False
        if isinstance(item, str):
            chars += len(item)
            if chars > _SMALL_CHARS:
                return False
        elif isinstance(item, int) and not isinstance(item, bool):
            if item.bit_length() > 64:
                return False
        elif isinstance(item, Mapping):
            if len(item) > _SMALL_PARTS:
                return False
            for key, sub in item.items():
                stack.append(key)
                stack.append(sub)
        elif isinstance(item, list | tuple | set | frozenset):
            if len(item) > _SMALL_PARTS:
                return False
            stack.extend(item)
    return True


def _preview(value: object, budget: int) -> str:
    """The JSON-like spelling of ``value``, cut after about ``budget`` characters."""
    budget = max(budget, 0)
    if isinstance(value, str):
        return orjson.dumps(value[:budget]).decode()
    if value is None or isinstance(value, bool):
        return orjson.dumps(value).decode()
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 256 else "<huge integer>"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        mapping = isinstance(value, Mapping)
        parts = ["{" if mapping else "["]
        used = 1
        items = iter(value.items()) if isinstance(value, Mapping) else iter(value)
        for n, item in enumerate(items):
            if used >= budget:
                break
            if n:
                parts.append(",")
                used += 1
            if mapping:
                key, sub = item
                spelled = _preview(key, budget - used)
                spelled += ":" + _preview(sub, budget - used - len(spelled) - 1)
            else:
                spelled = _preview(item, budget - used)
            parts.append(spelled)
            used += len(spelled)
        parts.append("}" if mapping else "]")
        return "".join(parts)
    return orjson.dumps(str(value)[:budget]).decode()
