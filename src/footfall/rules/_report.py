"""Collecting validation problems with their path inside a rule (internal)."""

from __future__ import annotations

import math

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
    """A short, readable spelling of a user-supplied value for error messages."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = str(value)
    else:
        try:
            text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()
        except (TypeError, orjson.JSONEncodeError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
