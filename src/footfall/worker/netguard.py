"""Which network targets ``call_web_page`` and provider notifications may reach.

Refused unless allowlisted (``FOOTFALL_HTTP_ALLOWLIST``: hostnames and CIDR blocks):
every address that is not globally routable — loopback, private, link-local (cloud
metadata such as 169.254.169.254), shared (100.64/10), multicast, unspecified,
reserved, documentation — and the IPv6 forms that embed such an IPv4 address
(IPv4-mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64 ``64:ff9b::/96``).

Host names are resolved first and every resolved address is checked; the
connection then goes to a checked address (see :class:`GuardedResolver`), so a DNS
answer cannot swap in a private address between check and connect.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from footfall.worker.errors import TargetRefusedError, TransientActionError

__all__ = ["Allowlist", "GuardedResolver", "check_url", "is_forbidden_address", "redact_url"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_forbidden_address(address: IPAddress) -> bool:
    """True for any address that is not a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if address.ipv4_mapped is not None:
            embedded.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            embedded.append(address.sixtofour)
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(is_forbidden_address(inner) for inner in embedded):
            return True
        if address.ipv4_mapped is not None:
            return False
    return (
        not address.is_global
        or address.is_multicast
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Host names (exact, case-insensitive; ``.example.com`` also matches subdomains) and
    CIDR blocks exempt from the private-address refusal."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, items: tuple[str, ...] | list[str]) -> Allowlist:
        hosts: set[str] = set()
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in items:
            text = item.strip().lower()
            if not text:
                continue
            try:
                networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            except ValueError:
                hosts.add(text.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        name = host.lower().rstrip(".")
        if name in self.hosts:
            return True
        return any(h.startswith(".") and (name.endswith(h) or name == h[1:]) for h in self.hosts)

    def allows_address(self, address: IPAddress) -> bool:
        for network in self.networks:
            if address.version == network.version and address in network:
                return True
        mapped = getattr(address, "ipv4_mapped", None)
        return mapped is not None and self.allows_address(mapped)


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_address(host: str, address: IPAddress, allowlist: Allowlist) -> None:
    if is_forbidden_address(address) and not (
        allowlist.allows_host(host) or allowlist.allows_address(address)
    ):
        raise TargetRefusedError(
            f"refused target {host!r}: address {address} is not public "
            "(add it to FOOTFALL_HTTP_ALLOWLIST to allow it)"
        )


def check_url(url: str, allowlist: Allowlist) -> URL:
    """Parse and check a URL before any connection: scheme, host, literal addresses.

    Accepted URLs are remembered (the same URLs come back again and again); refusals are
    checked afresh each time.
    """
    return _checked_url(url, allowlist)


@functools.lru_cache(maxsize=4096)
def _checked_url(url: str, allowlist: Allowlist) -> URL:
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as exc:
        raise TargetRefusedError(f"bad URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise TargetRefusedError(f"refused URL scheme {parsed.scheme!r}: only http and https")
    host = parsed.host
    if not host:
        raise TargetRefusedError("refused URL without a host")
    literal = _parse_ip(host)
    if literal is not None:
        check_address(host, literal, allowlist)
    return parsed


def redact_url(url: str | URL) -> str:
    """The URL without user info and query (which may hold credentials), for messages."""
    try:
        parsed = URL(str(url))
        return str(parsed.with_user(None).with_query(None).with_fragment(None))
    except (ValueError, TypeError):
        return "<unparsable URL>"


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses host names resolving to a forbidden address.

    Every address of the answer is checked: one forbidden address refuses the host.
    aiohttp connects only to the addresses this resolver returns.
    """

    def __init__(self, allowlist: Allowlist, inner: AbstractResolver | None = None) -> None:
        self._allowlist = allowlist
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            answers = await self._inner.resolve(host, port, family)
        except OSError as exc:
            raise TransientActionError(f"cannot resolve {host!r}: {exc}") from None
        if not answers:
            raise TransientActionError(f"cannot resolve {host!r}: no addresses")
        for answer in answers:
            address = _parse_ip(str(answer["host"]))
            if address is None:
                raise TargetRefusedError(f"refused target {host!r}: unparsable address")
            check_address(host, address, self._allowlist)
        return answers

    async def close(self) -> None:
        await self._inner.close()
