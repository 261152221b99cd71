# ruff: noqa: E501 - exact, greppable messages read best unsplit
"""Notification profiles and external providers: loading, validation, owner profile ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.profiles import (
    DefinitionError,
    Profile,
    Provider,
    load_profiles,
    load_providers,
    parse_profile,
    parse_provider,
    profile_id_for,
)
from footfall.rules import Owner


def test_profiles_load_with_defaults(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "- id: agent:alice\n  name: Alice\n  emails: [alice@example.com]\n  sms: ['+4915123@sms.example.com']\n"
        "- id: admin\n"
    )
    assert load_profiles([tmp_path]) == [
        Profile(
            "agent:alice", "Alice", ("alice@example.com",), ("+4915123@sms.example.com",), True
        ),
        Profile("admin", "admin", (), (), True),
    ]


def test_profile_problems_name_id_and_path(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "- {id: 'agent:alice', emails: [a@example.com, bob], enabled: 'no', color: red}\n"
        "- {id: 'agent:alice'}\n"
        "- {id: root}\n"
        "- {name: nameless}\n"
    )
    with pytest.raises(DefinitionError) as caught:
        load_profiles([tmp_path / "p.yaml"])
    assert [i.located() for i in caught.value.issues] == [
        f"agent:alice: unknown key 'color' (use id, name, emails, sms, enabled) (in {tmp_path}/p.yaml[0])",
        f"agent:alice: emails[1]: not an email address: 'bob' (in {tmp_path}/p.yaml[0])",
        f"agent:alice: enabled: expected true or false, got 'no' (in {tmp_path}/p.yaml[0])",
        f"agent:alice: id: duplicate id (first defined in {tmp_path}/p.yaml[0]) (in {tmp_path}/p.yaml[1])",
        f"root: id: expected 'agent:<id>', 'admin:<id>' or 'admin', got 'root' (in {tmp_path}/p.yaml[2])",
        f"<profile in {tmp_path}/p.yaml[3]>: missing key 'id' (in {tmp_path}/p.yaml[3])",
    ]


def test_providers_load_and_validate(tmp_path: Path) -> None:
    (tmp_path / "crm.json").write_text(
        '{"name": "crm", "url": "https://crm.example.com/hooks", "secret_env": "CRM_SECRET", "timeout": "5s"}'
    )
    (tmp_path / "more.yaml").write_text(
        "name: chat-ops\nurl: http://127.0.0.1:9000/x\nsecret_env: OPS\n"
    )
    assert load_providers([tmp_path]) == [
        Provider("crm", "https://crm.example.com/hooks", "CRM_SECRET", 5.0),
        Provider("chat-ops", "http://127.0.0.1:9000/x", "OPS", 10.0),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"name": "x", "url": "ftp://a/", "secret_env": "S"},
            "x: url: only http:// and https:// URLs are allowed, got 'ftp://a/'",
        ),
        (
            {"name": "x", "url": "https://a/", "secret_env": "whsec_abc def"},
            "x: secret_env: expected the name of an environment variable, got 'whsec_abc def' (the secret itself never goes in a provider definition)",
        ),
        (
            {"name": "x y", "url": "https://a/", "secret_env": "S"},
            "x y: name: expected 1-128 of A-Z, a-z, 0-9, '.', '_', '-', got 'x y'",
        ),
        (
            {"name": "x", "url": "https://a/", "secret_env": "S", "timeout": "soon"},
            "x: timeout: bad duration 'soon': use a number and a unit (ms, s, m, h, d, w), e.g. '30s' or '1h30m'",
        ),
        ({"name": "x"}, "x: missing key 'url'"),
        ("nope", "<provider>: a provider must be an object, got 'nope'"),
    ],
)
def test_provider_messages(raw: object, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_provider(raw)
    assert str(caught.value.issues[0]) == message


def test_parse_profile_for_topic_records() -> None:
    assert parse_profile({"id": "admin:root", "emails": ["r@example.com"]}).emails == (
        "r@example.com",
    )
    with pytest.raises(DefinitionError):
        parse_profile({"id": "agent:"})


def test_profile_id_for_owner() -> None:
    assert profile_id_for(Owner("agent", "alice")) == "agent:alice"
    assert profile_id_for(Owner("admin", "root")) == "admin:root"
    assert profile_id_for(Owner("admin")) == "admin"
