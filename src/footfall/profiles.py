"""Notification profiles and external providers (SPEC §6): models, validation, file loading.

Files are read like rule files (YAML or JSON; one object or a list per file; a directory
means every ``*.yaml``, ``*.yml`` and ``*.json`` in it). Every problem is reported at once,
each naming the profile id or provider name and the path inside it, e.g.
``agent:alice: emails[1]: not an email address: 'bob'``.

- Profile: ``{id, name, emails, sms, enabled}``; ``id`` is ``agent:<agent id>``,
  ``admin:<admin id>`` or ``admin``; ``name`` defaults to the id, ``emails`` and ``sms``
  (email-to-SMS gateway addresses) to empty lists, ``enabled`` to true.
- Provider: ``{name, url, secret_env, timeout}``; ``url`` http(s); ``secret_env`` the name
  of the environment variable holding the ``whsec_...`` secret on the workers (never the
  secret itself); ``timeout`` a duration, default 10s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from footfall.rules._report import Report, at, show
from footfall.rules.actions import PROVIDER_NAME, url_problem, valid_email
from footfall.rules.compiler import Owner
from footfall.rules.exceptions import RuleError, RuleIssue
from footfall.rules.loader import read_definition_files
from footfall.rules.values import ValueProblem, parse_positive_duration

__all__ = [
    "DEFAULT_PROVIDER_TIMEOUT",
    "DefinitionError",
    "Profile",
    "Provider",
    "load_profiles",
    "load_providers",
    "parse_profile",
    "parse_provider",
    "profile_id_for",
]

DEFAULT_PROVIDER_TIMEOUT = 10.0
PROFILE_ID = re.compile(r"admin|(?:admin|agent):[^\s:]{1,128}")
SECRET_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_PROFILE_KEYS = ("id", "name", "emails", "sms", "enabled")
_PROVIDER_KEYS = ("name", "url", "secret_env", "timeout")

T = TypeVar("T")


class DefinitionError(RuleError):
    """Profiles or providers are invalid; ``issues`` lists every problem."""

    def __init__(self, issues: Sequence[RuleIssue]) -> None:
        self.issues: list[RuleIssue] = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues))


@dataclass(frozen=True, slots=True)
class Profile:
    """Where a rule owner's notifications go."""

    id: str
    name: str
    emails: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()
    enabled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "emails": list(self.emails),
            "sms": list(self.sms),
            "enabled": self.enabled,
        }


@dataclass(frozen=True, slots=True)
class Provider:
    """An external system notified with signed POSTs (Standard Webhooks)."""

    name: str
    url: str
    secret_env: str
    timeout: float = DEFAULT_PROVIDER_TIMEOUT

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "secret_env": self.secret_env,
            "timeout": self.timeout,
        }


def profile_id_for(owner: Owner) -> str:
    """The profile of a rule owner: ``agent:<id>``, ``admin:<id>`` or ``admin``."""
    return f"{owner.role}:{owner.id}" if owner.id else owner.role


def _unknown_keys(raw: Mapping[Any, Any], allowed: tuple[str, ...], report: Report) -> None:
    for key in raw:
        if key not in allowed:
            report.add("", f"unknown key {show(key)} (use {', '.join(allowed)})")


def _addresses(raw: Mapping[str, Any], key: str, report: Report) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        report.add(key, f"expected a list of email addresses, got {show(value)}")
        return ()
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not valid_email(item):
            report.add(at(key, i), f"not an email address: {show(item)}")
        else:
            out.append(item.strip())
    return tuple(out)


def _check_profile(raw: Mapping[str, Any], report: Report) -> Profile | None:
    _unknown_keys(raw, _PROFILE_KEYS, report)
    ident = raw.get("id")
    if "id" not in raw:
        report.add("", "missing key 'id'")
    elif not isinstance(ident, str) or not PROFILE_ID.fullmatch(ident):
        report.add("id", f"expected 'agent:<id>', 'admin:<id>' or 'admin', got {show(ident)}")
    name = raw.get("name", ident)
    if "name" in raw and (not isinstance(name, str) or not name.strip()):
        report.add("name", f"expected a non-empty string, got {show(name)}")
    emails = _addresses(raw, "emails", report)
    sms = _addresses(raw, "sms", report)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        report.add("enabled", f"expected true or false, got {show(enabled)}")
    if report:
        return None
    return Profile(str(ident), str(name), emails, sms, bool(enabled))


def _check_provider(raw: Mapping[str, Any], report: Report) -> Provider | None:
    _unknown_keys(raw, _PROVIDER_KEYS, report)
    for key in ("name", "url", "secret_env"):
        if key not in raw:
            report.add("", f"missing key {key!r}")
    name, url, secret_env = raw.get("name"), raw.get("url"), raw.get("secret_env")
    if "name" in raw and (not isinstance(name, str) or not PROVIDER_NAME.fullmatch(name)):
        report.add("name", f"expected 1-128 of A-Z, a-z, 0-9, '.', '_', '-', got {show(name)}")
    if "url" in raw:
        if not isinstance(url, str):
            report.add("url", f"expected a URL, got {show(url)}")
        elif "{{" in url:
            report.add("url", "a provider URL cannot contain placeholders")
        elif (problem := url_problem(url)) is not None:
            report.add("url", problem)
    if "secret_env" in raw and (
        not isinstance(secret_env, str) or not SECRET_ENV.fullmatch(secret_env)
    ):
        report.add(
            "secret_env",
            f"expected the name of an environment variable, got {show(secret_env)}"
            " (the secret itself never goes in a provider definition)",
        )
    timeout = DEFAULT_PROVIDER_TIMEOUT
    if "timeout" in raw:
        try:
            timeout = parse_positive_duration(raw["timeout"])
        except ValueProblem as exc:
            report.add("timeout", str(exc))
    if report:
        return None
    return Provider(str(name), str(url), str(secret_env), timeout)


def _label(raw: Mapping[str, Any], key: str, fallback: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) and value else fallback


def _parse(
    raw: object,
    key: str,
    check: Callable[[Mapping[str, Any], Report], T | None],
    what: str,
    source: str | None = None,
) -> tuple[T | None, list[RuleIssue]]:
    if not isinstance(raw, Mapping):
        label = source or f"<{what}>"
        return None, [RuleIssue(label, "", f"a {what} must be an object, got {show(raw)}", source)]
    report = Report()
    item = check(raw, report)
    label = _label(raw, key, f"<{what} in {source}>" if source else f"<{what}>")
    return item, [RuleIssue(label, path, message, source) for path, message in report.items]


def parse_profile(raw: object) -> Profile:
    """Validate one profile (e.g. a record of the ``profiles`` topic)."""
    profile, issues = _parse(raw, "id", _check_profile, "profile")
    if profile is None:
        raise DefinitionError(issues)
    return profile


def parse_provider(raw: object) -> Provider:
    """Validate one provider (e.g. a record of the ``providers`` topic)."""
    provider, issues = _parse(raw, "name", _check_provider, "provider")
    if provider is None:
        raise DefinitionError(issues)
    return provider


def _load(
    paths: Sequence[str | Path],
    key: str,
    check: Callable[[Mapping[str, Any], Report], T | None],
    what: str,
) -> list[T]:
    found, issues = read_definition_files(paths, what)
    items: list[T] = []
    first: dict[str, str] = {}
    for entry in found:
        item, problems = _parse(entry.data, key, check, what, str(entry.source))
        issues.extend(problems)
        ident = entry.data.get(key)
        if isinstance(ident, str) and ident:
            if ident in first:
                message = f"duplicate {key} (first defined in {first[ident]})"
                issues.append(RuleIssue(ident, key, message, str(entry.source)))
            else:
                first[ident] = str(entry.source)
        if item is not None:
            items.append(item)
    if issues:
        raise DefinitionError(issues)
    return items


def load_profiles(paths: Sequence[str | Path]) -> list[Profile]:
    """Read and validate profile files; DefinitionError lists every problem."""
    return _load(paths, "id", _check_profile, "profile")


def load_providers(paths: Sequence[str | Path]) -> list[Provider]:
    """Read and validate provider files; DefinitionError lists every problem."""
    return _load(paths, "name", _check_provider, "provider")
