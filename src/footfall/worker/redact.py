"""Masking credentials in commands before they are copied into dead letters.

Dead letters are shown to operators (``GET /api/dead-letters``); a command may carry
credentials a rule author put in it. Masked: the values of ``call_web_page`` headers
whose names look like credentials (``Authorization``, ``Cookie``, ``*token*``,
``*secret*``, ``*key*``, ``*auth*``, ``*password*``, ``*session*``) and the password of a URL's
user info. The original command stays on ``actions`` at the dead letter's ``source``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from yarl import URL

__all__ = ["MASK", "redact_command"]

MASK = "***"
_SENSITIVE = re.compile(r"auth|cookie|token|secret|key|password|passwd|session|signature", re.I)


def redact_command(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of the command with credential-like values masked."""
    action = raw.get("action")
    params = action.get("params") if isinstance(action, dict) else None
    if not isinstance(params, dict):
        return raw
    result = copy.deepcopy(raw)
    masked = result["action"]["params"]
    headers = masked.get("headers")
    if isinstance(headers, dict):
        masked["headers"] = {
            name: MASK if _SENSITIVE.search(str(name)) else value for name, value in headers.items()
        }
    url = masked.get("url")
    if isinstance(url, str):
        masked["url"] = _mask_password(url)
    return result


def _mask_password(url: str) -> str:
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return url
    if parsed.password is None:
        return url
    return str(parsed.with_password(MASK))
