import ipaddress
import socket

import pytest

from footfall.worker.errors import TargetRefusedError, TransientActionError
from footfall.worker.netguard import (
    Allowlist,
    GuardedResolver,
    check_url,
    is_forbidden_address,
    redact_url,
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2001:db8::1",  # documentation
    ],
)
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://[::1]:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::ffff:7f00:1]/",
        "http://10.0.0.5/",
        "http://0.0.0.0:80/",
    ],
)
def test_literal_private_targets_refused(url: str) -> None:
    with pytest.raises(TargetRefusedError, match="FOOTFALL_HTTP_ALLOWLIST"):
        check_url(url, Allowlist())


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http:///x"]
)
def test_other_schemes_and_hostless_refused(url: str) -> None:
    with pytest.raises(TargetRefusedError):
        check_url(url, Allowlist())


def test_allowlist_cidr_and_host() -> None:
    allow = Allowlist.parse(["127.0.0.1", "10.0.0.0/8", "Internal.Example", ".corp.example"])
    check_url("http://127.0.0.1:9000/", allow)
    check_url("http://10.9.8.7/", allow)
    with pytest.raises(TargetRefusedError):
        check_url("http://127.0.0.2/", allow)
    with pytest.raises(TargetRefusedError):
        check_url("http://192.168.0.1/", allow)
    assert allow.allows_host("internal.example.")
    assert allow.allows_host("a.b.corp.example")
    assert not allow.allows_host("corp.example.evil")
    assert allow.allows_address(ipaddress.ip_address("::ffff:10.1.1.1"))


class _FixedResolver:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict]:
        if host not in self.answers:
            raise OSError("no such host")
        return [
            {"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
            for a in self.answers[host]
        ]

    async def close(self) -> None:
        pass


async def test_resolver_refuses_names_resolving_to_private_addresses() -> None:
    inner = _FixedResolver(
        {
            "metadata.test": ["169.254.169.254"],
            "mixed.test": ["93.184.215.14", "10.0.0.1"],
            "public.test": ["93.184.215.14"],
            "local.test": ["127.0.0.1"],
        }
    )
    resolver = GuardedResolver(Allowlist.parse(["local.test"]), inner)  # type: ignore[arg-type]
    with pytest.raises(TargetRefusedError):
        await resolver.resolve("metadata.test", 80)
    with pytest.raises(TargetRefusedError):  # one bad address refuses the name
        await resolver.resolve("mixed.test", 80)
    assert [a["host"] for a in await resolver.resolve("public.test", 80)] == ["93.184.215.14"]
    assert [a["host"] for a in await resolver.resolve("local.test", 80)] == ["127.0.0.1"]
    with pytest.raises(TransientActionError):
        await resolver.resolve("missing.test", 80)


def test_redact_url_drops_credentials_and_query() -> None:
    shown = redact_url("https://user:pw@example.com/hook?token=secret#frag")
    assert "pw" not in shown and "secret" not in shown
    assert shown == "https://example.com/hook"


@pytest.mark.parametrize("host", ["localhost", "LocalHost", "2130706433", "0x7f000001", "127.1"])
async def test_real_resolution_of_loopback_spellings_is_refused(host: str) -> None:
    resolver = GuardedResolver(Allowlist())
    try:
        with pytest.raises(TargetRefusedError):
            await resolver.resolve(host, 80)
    finally:
        await resolver.close()
