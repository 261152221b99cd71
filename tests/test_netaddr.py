from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from footfall.errors import ConfigError
from footfall.netaddr import ends_in_number, is_host_name, parse_allowlist, read_loose_ipv4


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0X7F.0x0.0.01", "127.0.0.1"),
        ("0x", "0.0.0.0"),
        ("127.0.0.1.", "127.0.0.1"),
        ("4294967295", "255.255.255.255"),
    ],
)
def test_loose_ipv4_reads_as_inet_aton_does(host: str, address: str) -> None:
    assert ends_in_number(host)
    assert read_loose_ipv4(host) == ipaddress.IPv4Address(address)


@pytest.mark.parametrize(
    "host", ["4294967296", "1.2.3.4.5", "256.0.0.1", "1.2.65536", "08.0.0.1", "1..2", "0xg"]
)
def test_not_loose_ipv4(host: str) -> None:
    assert read_loose_ipv4(host) is None


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_loose_forms_of_any_address(value: int) -> None:
    address = ipaddress.IPv4Address(value)
    a, b, c, d = address.packed
    for host in (str(value), hex(value), f"{a}.{(b << 16) | (c << 8) | d}", f"0{a:o}.{b}.{c}.{d}"):
        assert read_loose_ipv4(host) == address, host


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", True),
        ("hooks-1.internal.", True),
        ("_dmarc.example.com", True),
        ("xn--exmple-cua.com", True),
        ("example.1", False),  # ends in a number: an IPv4 spelling
        ("example.0x1", False),
        ("a..b", False),
        ("-a.com", False),
        ("a%2fb", False),
        ("a b", False),
        ("a" * 64 + ".com", False),
        ("", False),
    ],
)
def test_host_names(host: str, expected: bool) -> None:
    assert is_host_name(host) is expected


def test_parse_allowlist_splits_names_and_networks() -> None:
    hosts, networks = parse_allowlist(
        [" Hooks.Internal. ", ".corp.example", "", "10.0.0.0/8", "127.0.0.1", "[::1]", "fd00::/8"]
    )
    assert hosts == frozenset({"hooks.internal", ".corp.example"})
    assert [str(n) for n in networks] == ["10.0.0.0/8", "127.0.0.1/32", "::1/128", "fd00::/8"]


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "10.0.0.1/8", "fe80::/200", "127.1", "ex ample"])
def test_parse_allowlist_refuses_mistyped_entries(entry: str) -> None:
    with pytest.raises(ConfigError, match="FOOTFALL_HTTP_ALLOWLIST"):
        parse_allowlist([entry])
