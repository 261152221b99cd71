"""The registrable domain of a host name (``www.shop.example.co.uk`` -> ``example.co.uk``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["registrable_domain"]

_list: Any = None


@lru_cache(maxsize=16384)
def registrable_domain(host_name: str) -> str | None:
    """Return the registrable domain by the bundled Public Suffix List, or ``None``.

    ``None`` for IP addresses, bare public suffixes (``co.uk``) and single labels
    (``localhost``). No network access: publicsuffixlist ships its own copy.
    """
    global _list
    if _list is None:
        from publicsuffixlist import PublicSuffixList

        _list = PublicSuffixList()
    host = host_name.strip().rstrip(".").lower()
    if not host or ":" in host or host.replace(".", "").isdigit():
        return None
    domain = _list.privatesuffix(host)
    return domain if isinstance(domain, str) else None
