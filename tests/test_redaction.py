"""Masking credentials in what operators are shown (footfall.redaction)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.redaction import MASK, is_secret_name, redact_text, redact_value

SECRET_NAMES = [
    "password", "X-Api-Key", "Private-Token", "Cookie", "Proxy-Authorization",
    "client_secret", "sessionId", "X-Signature", "sig", "PW", "credentials",
]  # fmt: skip
PLAIN_NAMES = ["name", "url", "visitor_id", "hits", "country", "title", "items"]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_credential_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_plain_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://x.example.com/a?api_key=K&y=1", f"https://x.example.com/a?api_key={MASK}&y=1"),
        ("user=ann&password=pw&x=", f"user=ann&password={MASK}&x="),
        ("https://bot:pw@x.example.com/", f"https://bot:{MASK}@x.example.com/"),
        ("see https://tok@x.example.com/r", f"see https://{MASK}@x.example.com/r"),
        ("Authorization: Bearer abc.def", f"Authorization: Bearer {MASK}"),
        ("basic   dXNlcjpwdw==", f"basic   {MASK}"),
        ("https://x.example.com/?email=ann@example.com", "https://x.example.com/?email=ann@example.com"),
        ("mailto:ann@example.com", "mailto:ann@example.com"),
        ("no secrets here", "no secrets here"),
    ],
)  # fmt: skip
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


SECRET = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=24)
JSON_LEAF = st.none() | st.booleans() | st.integers() | st.text(max_size=20)


def _nest(secret_name: str, secret: str, path: list[str | int]) -> Any:
    value: Any = {secret_name: secret, "plain": "keep"}
    for step in reversed(path):
        value = {step: value, "other": 1} if isinstance(step, str) else [0] * step + [value]
    return value


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(SECRET_NAMES),
    secret=SECRET,
    path=st.lists(st.sampled_from(PLAIN_NAMES) | st.integers(0, 3), max_size=5),
)
def test_a_value_under_a_credential_name_never_shows_at_any_depth(
    name: str, secret: str, path: list[str | int]
) -> None:
    value = _nest(name, secret, path)
    masked = redact_value(value)
    text = orjson.dumps(masked).decode()
    assert secret not in text
    assert "keep" in text
    assert orjson.dumps(value).decode().count(secret) == 1  # the input is left alone


@settings(max_examples=200, deadline=None)
@given(st.recursive(JSON_LEAF, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_redaction_never_fails_and_is_idempotent(value: Any) -> None:
    once = redact_value(value)
    assert redact_value(once) == once
