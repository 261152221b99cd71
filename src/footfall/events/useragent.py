"""Browser and operating system names derived from a User-Agent header (cached)."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["browser_and_os"]


@lru_cache(maxsize=8192)
def browser_and_os(user_agent: str) -> tuple[str | None, str | None]:
    """Return ``(browser, os)`` families for a User-Agent, ``None`` where unknown.

    ua-parser is slow (tens of microseconds to milliseconds per string); real traffic
    repeats a few thousand strings, so results are kept in an LRU cache of 8192.
    """
    from ua_parser import parse

    result = parse(user_agent[:1024])
    browser = result.user_agent.family if result.user_agent is not None else None
    system = result.os.family if result.os is not None else None
    return (
        None if browser in (None, "Other") else browser,
        None if system in (None, "Other") else system,
    )
