"""The error raised for an input event or control message that is rejected."""

from __future__ import annotations

from footfall.errors import FootfallError

__all__ = ["REASONS", "EventError"]

#: Every ``reason`` code an :class:`EventError` may carry (also the dead-letter reasons).
REASONS = (
    "not_json",  # the bytes are not UTF-8 JSON
    "too_large",  # more bytes than the configured limit
    "not_object",  # valid JSON but not an object
    "missing_field",  # a required field is absent or null
    "wrong_type",  # a field has the wrong JSON type
    "bad_value",  # a field has the right type but a value outside its range
    "unknown_type",  # ``type`` is not one of the known event or control types
    "bad_time",  # ``time`` is not an RFC 3339 timestamp with an offset, or out of range
    "too_deep",  # nested too deeply to be identified without an ``event_id``
)


class EventError(FootfallError, ValueError):
    """An input event was rejected; ``reason`` is one of :data:`REASONS`.

    ``field`` names the offending field when there is one. The message says what is
    wrong and what a valid value looks like.
    """

    def __init__(self, reason: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.reason, str(self), self.field))
