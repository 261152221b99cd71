"""Guarded HTTP requests for ``call_web_page`` and provider notifications.

Every URL is checked (:func:`~footfall.worker.netguard.check_url`) before the request;
the session resolves host names through :class:`~footfall.worker.netguard.GuardedResolver`,
ignores proxy settings from the environment and never follows redirects (a 3xx answer is
a permanent failure, so a redirect cannot lead to an unchecked target). 2xx is success;
429 and 5xx are transient (with the peer's ``Retry-After``); any other status is
permanent. Response bodies are drained (up to 1 MiB, to keep the connection) and
never logged or stored.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver

from footfall import __version__
from footfall.worker.errors import (
    BadCommandError,
    HttpStatusError,
    RejectedError,
    TargetRefusedError,
    TransientActionError,
)
from footfall.worker.netguard import Allowlist, GuardedResolver, check_url, redact_url
from footfall.worker.retry import parse_retry_after

__all__ = ["USER_AGENT", "check_headers", "make_session", "send"]

USER_AGENT = f"footfall-worker/{__version__}"
_DRAIN_LIMIT = 1 << 20


def make_session(
    allowlist: Allowlist, connections: int = 256, *, lookup: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """The worker's HTTP session: every host name goes through the guarded resolver, whose
    lookups ``lookup`` does (default: the system resolver; tests pass their own)."""
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allowlist, lookup),
        limit=connections,
        limit_per_host=connections,
        ttl_dns_cache=60,
        enable_cleanup_closed=False,
    )
    return aiohttp.ClientSession(
        connector=connector,
        trust_env=False,
        auto_decompress=False,
        headers={"User-Agent": USER_AGENT},
    )


def check_headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadCommandError("headers: expected an object of header names to values")
    headers: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise BadCommandError(f"headers.{name}: expected a string")
        text = str(item)
        if any(c in name + text for c in "\r\n\x00") or not name or ":" in name:
            raise BadCommandError(f"headers.{name}: line breaks are not allowed in headers")
        headers[name] = text
    return headers


async def send(
    session: aiohttp.ClientSession,
    allowlist: Allowlist,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None,
    timeout: float,  # noqa: ASYNC109 - passed on to aiohttp
    now: float,
) -> int:
    """Send one request; return the 2xx status or raise the matching ActionError."""
    target = check_url(url, allowlist)
    try:
        async with session.request(
            method,
            target,
            headers=headers,
            data=body,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            status = response.status
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
            await _drain(response)
    except (TargetRefusedError, TransientActionError):
        raise
    except aiohttp.InvalidURL:
        raise TargetRefusedError(f"bad URL {redact_url(target)}") from None
    except TimeoutError:
        shown = redact_url(target)
        raise TransientActionError(f"{method} {shown}: timed out after {timeout:g}s") from None
    except (aiohttp.ClientError, OSError) as exc:
        shown = redact_url(target)
        raise TransientActionError(f"{method} {shown}: {type(exc).__name__}") from None
    if 200 <= status < 300:
        return status
    shown = redact_url(target)
    if 300 <= status < 400:
        raise RejectedError(f"{method} {shown}: redirect {status} (redirects are not followed)")
    if status == 429 or status >= 500:
        raise HttpStatusError(f"{method} {shown}: HTTP {status}", retry_after=retry_after)
    raise RejectedError(f"{method} {shown}: HTTP {status}")


async def _drain(response: aiohttp.ClientResponse) -> None:
    read = 0
    while read <= _DRAIN_LIMIT:
        chunk = await response.content.readany()
        if not chunk:
            return
        read += len(chunk)
    response.close()
