from __future__ import annotations

import pytest

from .helpers import holds


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("10.1.2.3", True),
        ("192.168.1.1", True),
        ("11.0.0.1", False),
        ("2001:db8::1", True),
        ("2001:db9::1", False),
        ("::1", False),
        ("not an ip", False),
    ],
)
def test_in_cidr_ipv4_and_ipv6(ip: str, expected: bool) -> None:
    when = {"ip": {"in_cidr": ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"]}}
    assert holds(when, {"ip": ip}) is expected


def test_ip_equality_is_by_address() -> None:
    assert holds({"ip": {"eq": "2001:DB8:0:0::1"}}, {"ip": "2001:db8::1"})
    assert holds({"ip": {"in": ["10.0.0.1", "10.0.0.2"]}}, {"ip": "10.0.0.2"})
    assert holds({"ip": {"ne": "10.0.0.1"}}, {"ip": "10.0.0.2"})
    assert not holds({"ip": {"in_cidr": ["10.0.0.0/8"]}}, {})


def test_an_unparsable_ip_counts_as_missing() -> None:
    assert not holds({"ip": {"exists": True}}, {"ip": "garbage"})
    assert holds({"ip": {"exists": False}}, {"ip": "garbage"})
    assert holds({"ip": {"exists": True}}, {"ip": "::1"})
