"""FOOTFALL_HTTP_ALLOWLIST is read strictly when settings load."""

from __future__ import annotations

import pytest

from footfall.errors import ConfigError
from footfall.settings import Settings


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("10.0.0.0/33", "from 0 to 32"),
        ("fe80::/200", "from 0 to 128"),
        ("10.0.0.0/-1", "from 0 to 32"),
        ("10.0.0.0/8x", "from 0 to 32"),
        ("10.0.0.1/8", "did you mean 10.0.0.0/8"),
        ("192.168.1.1/16", "did you mean 192.168.0.0/16"),
        ("fd00::1/8", r"did you mean fd00::/8"),
        ("10.0.0.256", "not a host name, an IP address or a CIDR block"),
        ("10.0.0.0/", "from 0 to 32"),
        ("127.1", "means 127.0.0.1"),
        ("0x7f000001", "means 127.0.0.1"),
        ("hooks.internal:8080", "not a host name, an IP address or a CIDR block"),
        ("http://hooks.internal", "not a host name, an IP address or a CIDR block"),
        ("*.example.com", "write '.example.com'"),
        ("hooks internal", "not a host name"),
        ("fe80::1%eth0", "zone"),
    ],
)
def test_a_mistyped_entry_stops_the_start(entry: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"FOOTFALL_HTTP_ALLOWLIST": f"hooks.internal, {entry} ,10.1.0.0/16"})
    message = str(caught.value)
    assert message.startswith("FOOTFALL_HTTP_ALLOWLIST: entry ")
    assert repr(entry) in message
    assert problem in message


def test_good_entries_load_as_written() -> None:
    value = "hooks.internal,.corp.example,10.20.0.0/16,127.0.0.1,::1,[fd00::]/8,Hooks.Example."
    settings = Settings.from_env({"FOOTFALL_HTTP_ALLOWLIST": value})
    assert settings.http_allowlist == tuple(value.split(","))
