"""Notification profiles and external providers as workers know them (SPEC §6).

Both live on compacted topics (``profiles`` keyed by profile id, ``providers`` keyed by
name; a null value deletes) which every worker reads whole at start and follows live.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson

from footfall.durations import parse_duration
from footfall.errors import DurationError

__all__ = ["Directory", "ProfileEntry", "ProviderEntry", "parse_profile", "parse_provider"]

log = logging.getLogger(__name__)

DEFAULT_PROVIDER_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    id: str
    name: str
    emails: tuple[str, ...]
    sms: tuple[str, ...]
    enabled: bool


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    name: str
    url: str
    secret_env: str
    timeout: float


def parse_profile(data: Any) -> ProfileEntry:
    if not isinstance(data, dict):
        raise ValueError("a profile must be an object")
    ident = data.get("id")
    if not isinstance(ident, str) or not ident:
        raise ValueError("profile id must be a non-empty string")
    return ProfileEntry(
        id=ident,
        name=str(data.get("name", ident)),
        emails=_strings(data.get("emails")),
        sms=_strings(data.get("sms")),
        enabled=data.get("enabled", True) is not False,
    )


def parse_provider(data: Any) -> ProviderEntry:
    if not isinstance(data, dict):
        raise ValueError("a provider must be an object")
    name, url, secret_env = data.get("name"), data.get("url"), data.get("secret_env")
    for key, value in (("name", name), ("url", url), ("secret_env", secret_env)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"provider {key} must be a non-empty string")
    assert isinstance(name, str) and isinstance(url, str) and isinstance(secret_env, str)
    timeout = data.get("timeout", DEFAULT_PROVIDER_TIMEOUT)
    try:
        seconds = parse_duration(timeout) if timeout is not None else DEFAULT_PROVIDER_TIMEOUT
    except DurationError as exc:
        raise ValueError(f"provider timeout: {exc}") from None
    return ProviderEntry(name, url, secret_env, seconds or DEFAULT_PROVIDER_TIMEOUT)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(v for v in value if v)


class Directory:
    """The profiles and providers currently known, updated record by record."""

    def __init__(self) -> None:
        self.profiles: dict[str, ProfileEntry] = {}
        self.providers: dict[str, ProviderEntry] = {}

    def on_profile(self, key: bytes | None, value: bytes | None) -> None:
        _apply(key, value, self.profiles, parse_profile, "profile")

    def on_provider(self, key: bytes | None, value: bytes | None) -> None:
        _apply(key, value, self.providers, parse_provider, "provider")


def _apply(
    key: bytes | None, value: bytes | None, target: dict[str, Any], parse: Any, what: str
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
    except (ValueError, orjson.JSONDecodeError) as exc:
        log.warning("ignored invalid %s %r: %s (the previous version stays)", what, name, exc)
