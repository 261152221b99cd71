"""Notification profiles and external providers as workers know them (SPEC §6).

Both live on compacted topics (``profiles`` keyed by profile id, ``providers`` keyed by
name; a null value deletes) which every worker reads whole at start and follows live.
Values are validated with :mod:`footfall.profiles`, the same code ``profiles push`` and
``providers push`` use; an invalid record is logged and skipped, and the previous
version stays in force.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from footfall.errors import FootfallError
from footfall.profiles import Profile, Provider, parse_profile, parse_provider

__all__ = ["Directory", "Profile", "Provider"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class Directory:
    """The profiles and providers currently known, updated record by record."""

    def __init__(self) -> None:
        self.profiles: dict[str, Profile] = {}
        self.providers: dict[str, Provider] = {}

    def on_profile(self, key: bytes | None, value: bytes | None) -> None:
        _apply(key, value, self.profiles, parse_profile, "profile")

    def on_provider(self, key: bytes | None, value: bytes | None) -> None:
        _apply(key, value, self.providers, parse_provider, "provider")


def _apply(
    key: bytes | None,
    value: bytes | None,
    target: dict[str, T],
    parse: Callable[[Any], T],
    what: str,
) -> None:
    if key is None:
        log.warning("ignored a %s record without a key", what)
        return
    name = key.decode("utf-8", errors="replace")
    if value is None:
        target.pop(name, None)
        return
    try:
        target[name] = parse(orjson.loads(value))
    except (FootfallError, ValueError) as exc:
        log.warning("ignored invalid %s %r: %s (the previous version stays)", what, name, exc)
