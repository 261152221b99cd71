"""Masking credentials in data shown to operators (dead letters, the web API).

A value is masked (replaced by :data:`MASK`) when:

- it sits under a key whose name looks like a credential, at any depth of objects and
  lists: the name contains ``auth``, ``cookie``, ``token``, ``secret``, ``key``,
  ``passw``, ``pwd``, ``session``, ``signature``, ``credential`` or ``private``, or is
  ``sig``, ``pw``, ``pass``, ``otp`` or ``jwt`` (case-insensitive; ``X-Api-Key``,
  ``Private-Token``, ``Proxy-Authorization``, ``client_secret``, ``password`` all match);
- it is the value of such a parameter in a query string or a form body inside a text
  (``?api_key=...``, ``&password=...``);
- it is the user info of a URL inside a text (``https://user:***@host``, and the whole
  user info when there is no password: ``https://***@host``, tokens are put there too);
- it is the credential after ``Bearer`` or ``Basic`` in a text.

The rules err on the side of masking: a field named ``monkey`` is masked too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["MASK", "is_secret_name", "redact_text", "redact_value"]

MASK = "***"

_SECRET_PART = re.compile(
    r"auth|cookie|token|secret|key|passw|pwd|session|signature|credential|private", re.I
)
_SECRET_NAMES = frozenset({"sig", "pw", "pass", "otp", "jwt"})
_PARAMETER = re.compile(r"(^|[?&;])([^=&;?#\s\"']+)=([^&;#\s\"']*)")
_USER_INFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^/?#@\s\"':]*)(?::([^/?#@\s\"']*))?@", re.I)
_SCHEME_CREDENTIAL = re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]+", re.I)


@lru_cache(maxsize=4096)  # the same few names come back in every payload
def is_secret_name(name: str) -> bool:
    """Whether a key, header or parameter called ``name`` holds a credential."""
    return bool(_SECRET_PART.search(name)) or name.strip().lower() in _SECRET_NAMES


def redact_text(text: str) -> str:
    """``text`` with URL user info, secret query/form parameters and bearer credentials masked."""
    if "=" in text:
        text = _PARAMETER.sub(_mask_parameter, text)
    if "@" in text:
        text = _USER_INFO.sub(_mask_user_info, text)
    return _SCHEME_CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def redact_value(value: Any) -> Any:
    """A copy of a JSON-like value with credentials masked at any depth (see the module)."""
    if isinstance(value, dict):
        return {
            key: MASK if _masked(key, item) else redact_value(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _masked(key: object, item: object) -> bool:
    return item is not None and isinstance(key, str) and is_secret_name(key)


def _mask_parameter(match: re.Match[str]) -> str:
    lead, name, value = match.group(1), match.group(2), match.group(3)
    if value and is_secret_name(name):
        return f"{lead}{name}={MASK}"
    return match.group(0)


def _mask_user_info(match: re.Match[str]) -> str:
    scheme, user, password = match.group(1), match.group(2), match.group(3)
    if password is None:
        return f"{scheme}{MASK}@" if user else match.group(0)
    return f"{scheme}{user}:{MASK}@"
