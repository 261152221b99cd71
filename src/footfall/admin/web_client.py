"""Calls to the processor's web API from the command line."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

__all__ = ["ApiError", "fetch_visitors"]


class ApiError(Exception):
    """The processor did not answer, or answered an error."""


async def fetch_visitors(
    base_url: str, *, seconds: float = 10.0, token: str | None = None
) -> dict[str, Any]:
    """``GET <base_url>/api/visitors`` as a dict; raise :class:`ApiError` on any failure.

    ``token`` is the processor's read (or admin) token, sent as ``Authorization: Bearer``.
    """
    url = f"{base_url.rstrip('/')}/api/visitors"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session,
            session.get(url, headers=headers) as response,
        ):
            body = await response.read()
            if response.status in (401, 403):
                raise ApiError(
                    f"{url} answered HTTP {response.status}: set FOOTFALL_READ_TOKEN (or "
                    "FOOTFALL_ADMIN_TOKEN) to the token the processor was started with"
                )
            if response.status != 200:
                raise ApiError(f"{url} answered HTTP {response.status}: {body[:200]!r}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ApiError(f"cannot reach {url}: {exc or type(exc).__name__}") from None
    data = orjson.loads(body)
    if not isinstance(data, dict):
        raise ApiError(f"{url} did not answer a JSON object")
    return data
