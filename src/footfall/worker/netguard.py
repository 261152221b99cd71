"""Which network targets ``call_web_page`` and provider notifications may reach.

Refused unless allowlisted (``FOOTFALL_HTTP_ALLOWLIST``: host names and CIDR blocks):
every address that is not globally routable, judged by footfall's own table of the IANA
special-purpose ranges (not by the Python version's ``ipaddress`` flags alone) —
loopback, private, link-local (cloud metadata such as 169.254.169.254), shared
(100.64/10), benchmarking (198.18/15), multicast, unspecified, reserved (240/4),
broadcast, documentation (including ``3fff::/20``), everything outside the IPv6 global
unicast block ``2000::/3`` (ULA, link-local, IPv4-compatible, NAT64 local-use
``64:ff9b:1::/48``, SRv6 ``5f00::/16``) and the IETF block ``2001::/23`` (Teredo,
benchmarking, ORCHID) — and the IPv6 forms that embed a refused IPv4 address
(IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``).

Hosts are read as aiohttp connects to them (``URL.raw_host``): an IPv4 address written
in any other way than four decimal numbers (``127.1``, ``2130706433``, ``0177.0.0.1``,
``0x7f.1``) and a host that is not a valid name are refused. Host names are resolved by
:class:`GuardedResolver`, which checks every address of the answer; aiohttp connects only
to the addresses it returned, so a second DNS answer cannot swap in a private address
between check and connect.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from footfall.netaddr import (
    IPAddress,
    IPNetwork,
    ends_in_number,
    is_host_name,
    parse_allowlist,
    read_loose_ipv4,
)
from footfall.worker.errors import TargetRefusedError, TransientActionError

__all__ = [
    "Allowlist",
    "GuardedResolver",
    "check_host",
    "check_url",
    "is_forbidden_address",
    "redact_url",
]

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: IPv4 ranges that are not globally reachable (IANA IPv4 special-purpose registry).
_FORBIDDEN_V4 = tuple(
    _V4(block)
    for block in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation TEST-NET-1
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation TEST-NET-2
        "203.0.113.0/24",  # documentation TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast 255.255.255.255
    )
)
#: IPv6 global unicast; everything outside it is refused (but see the embedded forms).
_GLOBAL_UNICAST = _V6("2000::/3")
#: Ranges inside 2000::/3 that are not globally reachable.
_FORBIDDEN_V6 = tuple(
    _V6(block)
    for block in (
        "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (2024)
    )
)
_MAPPED = _V6("::ffff:0:0/96")
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")


def is_forbidden_address(address: IPAddress) -> bool:
    """True for any address that is not a public unicast address."""
    if isinstance(address, ipaddress.IPv4Address):
        return any(address in block for block in _FORBIDDEN_V4) or not address.is_global
    if address.scope_id:
        return True
    if address in _MAPPED or address in _NAT64:
        return is_forbidden_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _SIX_TO_FOUR:
        return is_forbidden_address(ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF))
    return (
        address not in _GLOBAL_UNICAST
        or any(address in block for block in _FORBIDDEN_V6)
        or address.is_multicast
        or address.is_private
        or address.is_reserved
    )


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Host names (exact, case-insensitive; ``.example.com`` also matches subdomains) and
    CIDR blocks exempt from the private-address refusal."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, items: tuple[str, ...] | list[str]) -> Allowlist:
        """Read ``FOOTFALL_HTTP_ALLOWLIST`` entries; a malformed one raises ConfigError."""
        hosts, networks = parse_allowlist(items)
        return cls(hosts, networks)

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


def check_host(host: str) -> IPAddress | None:
    """The address a literal host stands for, None for a host name; refuse anything else.

    ``host`` is the host as it goes on the wire (``URL.raw_host``: IDNA-encoded, IPv6
    without brackets).
    """
    if ":" in host:
        address = _parse_ip(host)
        if address is None:
            raise TargetRefusedError(f"refused target {host!r}: not a valid IPv6 address")
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise TargetRefusedError(f"refused target {host!r}: IPv6 zones are not allowed")
        return address
    if ends_in_number(host):
        try:
            return ipaddress.IPv4Address(host)
        except ValueError:
            loose = read_loose_ipv4(host)
            means = f" (some software reads it as {loose})" if loose is not None else ""
            raise TargetRefusedError(
                f"refused target {host!r}: an IPv4 address must be written as four decimal "
                f"numbers, a.b.c.d{means}"
            ) from None
    if not is_host_name(host):
        raise TargetRefusedError(f"refused target {host!r}: not a valid host name")
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
    host = parsed.raw_host
    if not host:
        raise TargetRefusedError("refused URL without a host")
    literal = check_host(host)
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
    aiohttp connects only to the addresses this resolver returns, so the address checked
    is the address connected to. ``inner`` does the lookups (default: the system's).
    """

    def __init__(self, allowlist: Allowlist, inner: AbstractResolver | None = None) -> None:
        self._allowlist = allowlist
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        literal = check_host(host)
        if literal is not None:
            check_address(host, literal, self._allowlist)
            return [_result(host, literal, port)]
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


def _result(host: str, address: IPAddress, port: int) -> ResolveResult:
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    return ResolveResult(
        hostname=host,
        host=str(address),
        port=port,
        family=family,
        proto=0,
        flags=socket.AI_NUMERICHOST,
    )
