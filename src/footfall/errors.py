"""The root of footfall's exceptions.

    FootfallError
    ├── ConfigError                  a FOOTFALL_* variable has a bad value
    ├── DurationError                a duration string such as "1h30m" is malformed
    ├── devkafka.BrokerError          the local Kafka broker could not be fetched or started
    ├── rules.RuleError               a rule is invalid (rule id + path + message)
    ├── events.EventError             an input event is rejected (reason + message)
    └── worker.ActionError            an action failed (class-level ``retriable`` flag)

Each subpackage defines its own subclasses in its ``exceptions.py`` or ``errors.py``.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DurationError", "FootfallError"]


class FootfallError(Exception):
    """Base class of every error footfall raises on purpose."""


class ConfigError(FootfallError):
    """A configuration value (a FOOTFALL_* environment variable) is invalid."""


class DurationError(FootfallError, ValueError):
    """A duration such as ``30s``, ``15m``, ``2h``, ``7d`` or ``1h30m`` is malformed."""
