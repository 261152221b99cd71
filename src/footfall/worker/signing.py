"""Standard Webhooks signatures (SPEC §6) for provider notifications.

``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, the
key being the base64 part of a ``whsec_…`` secret. The secret variable may hold several
secrets separated by spaces or commas (rotation): one signature each, space-separated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from footfall.worker.errors import ConfigurationError

__all__ = ["SECRET_PREFIX", "parse_secrets", "sign", "webhook_headers"]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
_SPLIT = re.compile(r"[\s,]+")


def parse_secrets(value: str | None, variable: str) -> list[bytes]:
    """The HMAC keys in a secret variable's value. Errors name the variable, never the value."""
    if value is None or not value.strip():
        raise ConfigurationError(f"provider secret variable {variable} is not set on this worker")
    keys: list[bytes] = []
    for item in _SPLIT.split(value.strip()):
        if not item:
            continue
        encoded = item[len(SECRET_PREFIX) :] if item.startswith(SECRET_PREFIX) else item
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except ValueError:
            raise ConfigurationError(
                f"provider secret variable {variable} holds a value that is not "
                "'whsec_' followed by base64"
            ) from None
        if not key:
            raise ConfigurationError(f"provider secret variable {variable} holds an empty key")
        keys.append(key)
    return keys


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_headers(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(key, msg_id, timestamp, body) for key in keys),
    }
