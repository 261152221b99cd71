"""Errors of the action workers.

    FootfallError
    └── ActionError                 an action could not be carried out
        ├── TransientActionError    retriable: connection errors, timeouts, HTTP 429/5xx, SMTP 4xx
        │   └── HttpStatusError     (when the status is 429 or 5xx; carries Retry-After)
        └── PermanentActionError    not retriable: goes straight to dead-letters
            ├── BadCommandError     the command is malformed (missing field, wrong type)
            ├── TargetRefusedError  a URL or address the safety checks refuse
            ├── UnsafePathError     a log_to_file path leaving the log directory
            ├── ConfigurationError  a missing profile, provider or secret on this worker
            └── RejectedError       the peer said no for good (HTTP 4xx/3xx, SMTP 5xx)

The retry loop reads only the class-level ``retriable`` flag. Messages never contain
secrets or response bodies: they are written to logs and to dead letters.
"""

from __future__ import annotations

from typing import ClassVar

from footfall.errors import FootfallError

__all__ = [
    "ActionError",
    "BadCommandError",
    "ConfigurationError",
    "HttpStatusError",
    "PermanentActionError",
    "RejectedError",
    "TargetRefusedError",
    "TransientActionError",
    "UnsafePathError",
]


class ActionError(FootfallError):
    """An action failed. ``retriable`` says whether trying again later may help."""

    retriable: ClassVar[bool] = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientActionError(ActionError):
    """A failure that may go away: retried with backoff."""

    retriable: ClassVar[bool] = True


class HttpStatusError(TransientActionError):
    """The peer answered 429 or 5xx; ``retry_after`` holds its Retry-After in seconds."""


class PermanentActionError(ActionError):
    """A failure that will not go away by waiting."""

    retriable: ClassVar[bool] = False


class BadCommandError(PermanentActionError):
    """The command does not have the shape of SPEC §7 or its parameters are wrong."""


class TargetRefusedError(PermanentActionError):
    """A web target is refused: not http(s), or a private/loopback/... address."""


class UnsafePathError(PermanentActionError):
    """A log_to_file path would leave FOOTFALL_LOG_DIR."""


class ConfigurationError(PermanentActionError):
    """Something this worker needs is missing: a profile, a provider or a secret variable."""


class RejectedError(PermanentActionError):
    """The peer refused the request for good (HTTP 3xx/4xx other than 429, SMTP 5xx)."""
