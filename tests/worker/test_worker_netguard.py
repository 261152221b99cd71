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


# Every class of target the worker refuses, judged where the decision is made: the URL
# check and the guarded resolver, with a resolver the test controls (nothing connects).


def _teredo(server: str, client: str) -> str:
    """A Teredo address (2001::/32) for a server and an (obfuscated) client address."""
    s = int(ipaddress.IPv4Address(server))
    c = int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF
    value = (0x20010000 << 96) | (s << 64) | (0x8000 << 48) | (0xFFFF << 32) | c
    return str(ipaddress.IPv6Address(value))


REFUSED_ADDRESSES = {
    "loopback": ["127.0.0.1", "127.255.255.254", "::1"],
    "private": ["10.0.0.1", "172.16.0.1", "172.31.255.254", "192.168.1.1"],
    "shared (CGNAT)": ["100.64.0.1", "100.127.255.254"],
    "link-local / metadata": ["169.254.169.254", "169.254.0.1", "fe80::1", "fd00:ec2::254"],
    "unique local (ULA)": ["fc00::1", "fd12:3456::1"],
    "multicast": ["224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1"],
    "unspecified / this network": ["0.0.0.0", "0.1.2.3", "::"],
    "benchmarking": ["198.18.0.1", "198.19.255.254", "2001:2::1"],
    "reserved": ["240.0.0.1", "254.1.2.3", "100::1", "5f00::1", "fec0::1"],
    "broadcast": ["255.255.255.255"],
    "documentation": ["192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "3fff::1"],
    "IETF protocol assignments": ["192.0.0.8", "192.88.99.1", "2001:20::1"],
    "IPv4-mapped": ["::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254"],
    "IPv4-compatible / translated": ["::127.0.0.1", "::10.0.0.1", "::ffff:0:7f00:1"],
    "NAT64 64:ff9b::/96": ["64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe"],
    "NAT64 local-use 64:ff9b:1::/48": ["64:ff9b:1::a00:1", "64:ff9b:1:ffff::7f00:1"],
    "6to4 2002::/16": ["2002:7f00:1::1", "2002:a00:1::1", "2002:c0a8:101::", "2002:a9fe:a9fe::"],
    "Teredo": [_teredo("65.54.227.120", "10.0.0.1"), _teredo("10.0.0.1", "127.0.0.1")],
}


@pytest.mark.parametrize(
    ("kind", "address"),
    [(kind, a) for kind, addresses in REFUSED_ADDRESSES.items() for a in addresses],
)
def test_every_refused_address_class(kind: str, address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)), kind
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(TargetRefusedError, match="not public"):
        check_url(f"http://{literal}:8080/hook", Allowlist())


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "1.1.1.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",  # NAT64 of a public address
        "2002:808:808::1",  # 6to4 of a public address
        "2620:4f:8000::1",  # AS112, globally reachable
        "4.0.0.0",
    ],
)
def test_public_addresses_are_not_overblocked(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address))
    literal = f"[{address}]" if ":" in address else address
    host = check_url(f"https://{literal}/hook", Allowlist()).raw_host
    assert host is not None and ipaddress.ip_address(host) == ipaddress.ip_address(address)


def test_ipv6_documentation_range_of_2024_is_refused() -> None:
    for address in ("3fff::", "3fff::1", "3fff:fff:ffff::1"):
        assert is_forbidden_address(ipaddress.ip_address(address)), address
    assert not is_forbidden_address(ipaddress.ip_address("3fff:1000::1"))  # outside the /20


@pytest.mark.parametrize(
    ("host", "means"),
    [
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7F.0.0.0x1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.000.000.001", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("10.1", "10.0.0.1"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("134744072", "8.8.8.8"),  # public, but spelt so that parsers disagree
    ],
)
def test_loose_ipv4_spellings_are_refused_by_footfalls_own_check(host: str, means: str) -> None:
    with pytest.raises(TargetRefusedError, match=f"four decimal numbers.*{means}"):
        check_url(f"http://{host}/", Allowlist())


@pytest.mark.parametrize(
    "url",
    [
        "http://１２７.０.０.１/",  # full-width digits, NFKC to 127.0.0.1
        "http://127。0。0。1/",  # ideographic full stops
        "http://０ｘ７ｆ.１/",  # full-width hexadecimal
        "http://١٢٧.0.0.1/",  # Arabic-Indic digits, IDNA-encoded, still ends in a number
        "http://127.0.0.%31/",  # percent-encoding in the host
        "http://%31%32%37.0.0.1/",
        "http://example.com@127.0.0.1/",  # user info: the host is what follows @
        "http://user:pw@[::1]:8080/",
        "http://127.0.0.1\\@example.com/",  # backslash in the authority
        "http://example.com\\@127.0.0.1/",
        "http://[fe80::1%25eth0]/",  # IPv6 zone
        "http://[::ffff:127.0.0.1]/",
        "http://a b/",
        "HTTP://127.0.0.1/",
    ],
)
def test_url_tricks_are_refused(url: str) -> None:
    with pytest.raises(TargetRefusedError):
        check_url(url, Allowlist())


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "ftp://example.com/",
        "dict://127.0.0.1:11211/stat",
        "ws://example.com/",
        "ldap://example.com/",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "//example.com/",
        "example.com/hook",
    ],
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(TargetRefusedError, match=r"scheme|host"):
        check_url(url, Allowlist())


def test_percent_encoded_userinfo_leaves_the_host_as_written() -> None:
    # "127.0.0.1%2f" is user info, not a host: the host checked — and connected to — is x.
    assert check_url("http://127.0.0.1%2f@x/", Allowlist()).raw_host == "x"


RESOLVED = {
    "loopback.test": ["127.0.0.1"],
    "loopback6.test": ["::1"],
    "metadata.test": ["169.254.169.254"],
    "metadata6.test": ["fd00:ec2::254"],
    "private.test": ["10.0.0.7"],
    "cgnat.test": ["100.64.1.1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nat64.test": ["64:ff9b::a00:1"],
    "sixtofour.test": ["2002:a9fe:a9fe::1"],
    "doc.test": ["3fff::1"],
    "unspecified.test": ["0.0.0.0"],
    "mixed.test": ["93.184.215.14", "2606:4700::1111", "10.0.0.1"],
    "mixed6.test": ["2606:4700::1111", "fe80::1"],
    "x": ["127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
    "public.test": ["93.184.215.14", "2606:4700::1111"],
}


@pytest.mark.parametrize("name", [n for n in RESOLVED if n != "public.test"])
async def test_names_resolving_to_refused_addresses_are_refused(name: str) -> None:
    resolver = GuardedResolver(Allowlist(), _FixedResolver(RESOLVED))  # type: ignore[arg-type]
    check_url(f"http://{name}/", Allowlist())  # a name: nothing to refuse before resolving
    with pytest.raises(TargetRefusedError, match="not public"):
        await resolver.resolve(name, 80)


async def test_a_public_name_resolves_to_exactly_the_checked_addresses() -> None:
    resolver = GuardedResolver(Allowlist(), _FixedResolver(RESOLVED))  # type: ignore[arg-type]
    answers = await resolver.resolve("public.test", 443)
    assert [a["host"] for a in answers] == RESOLVED["public.test"]


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f.1", "0177.0.0.1", "a%2fb"])
async def test_resolver_refuses_loose_spellings_without_a_lookup(host: str) -> None:
    inner = _FixedResolver({host: ["93.184.215.14"]})  # a lookup would say "public"
    resolver = GuardedResolver(Allowlist(), inner)  # type: ignore[arg-type]
    with pytest.raises(TargetRefusedError):
        await resolver.resolve(host, 80)


async def test_resolver_checks_literals_itself() -> None:
    resolver = GuardedResolver(Allowlist.parse(["10.0.0.0/8"]), _FixedResolver({}))  # type: ignore[arg-type]
    with pytest.raises(TargetRefusedError):
        await resolver.resolve("127.0.0.1", 80)
    assert [a["host"] for a in await resolver.resolve("10.1.2.3", 80)] == ["10.1.2.3"]


def test_allowlisted_loopback_allows_only_what_it_names() -> None:
    allow = Allowlist.parse(["127.0.0.1"])
    assert check_url("http://127.0.0.1:9000/", allow).port == 9000
    assert check_url("http://[::ffff:127.0.0.1]:9000/", allow).port == 9000
    for url in ("http://127.0.0.2/", "http://[::1]/", "http://127.1/", "http://2130706433/"):
        with pytest.raises(TargetRefusedError):
            check_url(url, allow)
