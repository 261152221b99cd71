"""Masking credentials in commands before they are copied into dead letters.

Dead letters are shown to operators (``GET /api/dead-letters``, the topic itself); a
command may carry credentials a rule author put in it, and facts such as a page URL
whose query string holds a visitor's token. The whole command is masked with
:func:`footfall.redaction.redact_value`: values under credential-like keys at any depth
(``call_web_page`` headers such as ``Authorization``, ``X-Api-Key``, ``Private-Token``,
``Cookie``; body fields such as ``password``), secret query-string parameters, the user
info of URLs and ``Bearer``/``Basic`` credentials in texts. The original command stays
on ``actions`` at the dead letter's ``source``, for replays.
"""

from __future__ import annotations

from typing import Any

from footfall.redaction import MASK, redact_value

__all__ = ["MASK", "redact_command"]


def redact_command(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of the command with credential-like values masked."""
    masked: dict[str, Any] = redact_value(raw)
    return masked
