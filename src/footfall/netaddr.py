"""Strict reading of host names, IP addresses and CIDR blocks.

Shared by ``FOOTFALL_HTTP_ALLOWLIST`` (read when settings load, so a mistyped entry stops
the start) and the worker's check of web targets (:mod:`footfall.worker.netguard`).

One rule runs through both: a host whose last label is a number (``127.1``,
``2130706433``, ``0177.0.0.1``, ``0x7f.1``) is an IPv4 address to URL parsers and to
``inet_aton``, which read such spellings differently from one another. footfall accepts
IPv4 addresses only as four decimal numbers without leading zeros (``127.0.0.1``) and
refuses every other spelling instead of guessing which address it means.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from footfall.errors import ConfigError

__all__ = [
    "IPAddress",
    "IPNetwork",
    "ends_in_number",
    "is_host_name",
    "parse_allowlist",
    "read_loose_ipv4",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_HEX_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_VARIABLE = "FOOTFALL_HTTP_ALLOWLIST"
_EXAMPLES = "e.g. hooks.internal, .example.com, 10.20.0.0/16, 127.0.0.1, ::1"


def _labels(host: str) -> list[str]:
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # one trailing dot: the absolute form of the same name
    return labels


def ends_in_number(host: str) -> bool:
    """True when URL parsers read ``host`` as an IPv4 address: its last label is a
    decimal number or a ``0x`` hexadecimal one (the WHATWG URL standard's test)."""
    last = _labels(host)[-1]
    return (last.isascii() and last.isdigit()) or _HEX_NUMBER.fullmatch(last) is not None


def read_loose_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address ``inet_aton`` (and the WHATWG URL standard) reads in a loose IPv4
    spelling — 1 to 4 parts, each decimal, octal (leading 0) or hexadecimal (0x), the
    last filling the remaining bytes — or None when it is not one."""
    parts = _labels(host)
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        if _HEX_NUMBER.fullmatch(part):
            numbers.append(int(part[2:] or "0", 16))
        elif part.isascii() and part.isdigit():
            if len(part) > 1 and part[0] == "0":
                if any(c in "89" for c in part):
                    return None
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part))
        else:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def is_host_name(host: str) -> bool:
    """True for an ASCII host name (letters, digits, ``-``, ``_``; dot-separated labels of
    at most 63 characters; one trailing dot allowed) that does not end in a number."""
    labels = _labels(host)
    return (
        len(host) <= 254
        and all(_LABEL.fullmatch(label) for label in labels)
        and not ends_in_number(host)
    )


def parse_allowlist(items: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """Split allowlist entries into host names (lower case, without a trailing dot; a
    leading dot kept: it means "and its subdomains") and networks (a single address is a
    /32 or /128). A malformed entry raises ConfigError naming the variable and the entry."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for item in items:
        text = item.strip().lower()
        if not text:
            continue
        if any(c in text for c in "/:[]") or ends_in_number(text):
            networks.append(_parse_network(text, item.strip()))
        else:
            hosts.add(_parse_host(text, item.strip()))
    return frozenset(hosts), tuple(networks)


def _error(entry: str, problem: str) -> ConfigError:
    return ConfigError(f"{_VARIABLE}: entry {entry!r} {problem}")


def _parse_host(text: str, entry: str) -> str:
    if text.startswith("*."):
        raise _error(
            entry, f"uses a wildcard: write {text[1:]!r} to allow a domain and its subdomains"
        )
    if not text.isascii():
        raise _error(entry, "is not ASCII: write an internationalised name in its xn-- form")
    name = text[1:] if text.startswith(".") else text
    if not is_host_name(name):
        raise _error(entry, f"is not a host name, an IP address or a CIDR block ({_EXAMPLES})")
    return text.rstrip(".")


def _parse_network(text: str, entry: str) -> IPNetwork:
    address_text, slash, prefix_text = text.partition("/")
    if address_text.startswith("[") and address_text.endswith("]"):
        address_text = address_text[1:-1]
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        loose = read_loose_ipv4(address_text) if ends_in_number(address_text) else None
        if loose is not None:
            raise _error(
                entry,
                "is not written as four decimal numbers: an IPv4 address is written a.b.c.d "
                f"(this spelling means {loose} to some software and is refused)",
            ) from None
        raise _error(
            entry, f"is not a host name, an IP address or a CIDR block ({_EXAMPLES})"
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        raise _error(entry, "has a zone (%...): write the address without it")
    if not slash:
        return ipaddress.ip_network(address)
    bits = address.max_prefixlen
    if not (prefix_text.isascii() and prefix_text.isdigit()) or int(prefix_text) > bits:
        raise _error(
            entry,
            f"has the prefix length /{prefix_text}: it must be a whole number "
            f"from 0 to {bits} for IPv{address.version}",
        )
    network = ipaddress.ip_network(f"{address}/{int(prefix_text)}", strict=False)
    if network.network_address != address:
        raise _error(
            entry, f"has bits set after the /{int(prefix_text)} prefix: did you mean {network}?"
        )
    return network
