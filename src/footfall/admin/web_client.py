"""Calls to the processor's web API from the command line."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

__all__ = ["ApiError", "fetch_visitors"]


class ApiError(Exception):
    """The processor did not answer, or answered an error."""


async def fetch_visitors(base_url: str, *, seconds: float = 10.0) -> dict[str, Any]:
    """``GET <base_url>/api/visitors`` as a dict; raise :class:`ApiError` on any failure."""
    url = f"{base_url.rstrip('/')}/api/visitors"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session,
            session.get(url) as response,
        ):
            body = await response.read()
            if response.status != 200:
                raise ApiError(f"{url} answered HTTP {response.status}: {body[:200]!r}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ApiError(f"cannot reach {url}: {exc or type(exc).__name__}") from None
    data = orjson.loads(body)
    if not isinstance(data, dict):
        raise ApiError(f"{url} did not answer a JSON object")
    return data
