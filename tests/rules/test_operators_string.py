"""String and text operators: case-insensitive, missing values fail (except exists: false)."""

from __future__ import annotations

import pytest

from .helpers import holds

PAGE = {"current_page": "https://www.Example.com/Pricing/Enterprise?x=1"}


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ({"eq": "https://www.example.com/pricing/enterprise?x=1"}, True),
        ({"eq": "https://www.example.com/pricing"}, False),
        ({"ne": "https://www.example.com/pricing"}, True),
        ({"ne": "HTTPS://WWW.EXAMPLE.COM/PRICING/ENTERPRISE?X=1"}, False),
        ({"in": ["a", "https://www.example.com/pricing/enterprise?X=1"]}, True),
        ({"in": ["a", "b"]}, False),
        ({"not_in": ["a", "b"]}, True),
        ({"not_in": ["https://www.example.com/pricing/enterprise?x=1"]}, False),
        ({"contains": "/PRICING"}, True),
        ({"contains": "/docs"}, False),
        ({"not_contains": "/docs"}, True),
        ({"not_contains": "pricing"}, False),
        ({"starts_with": "HTTPS://www"}, True),
        ({"starts_with": "www"}, False),
        ({"ends_with": "X=1"}, True),
        ({"ends_with": "enterprise"}, False),
        ({"matches": "/pricing/(team|enterprise)"}, True),
        ({"matches": "^/pricing"}, False),
        ({"exists": True}, True),
        ({"exists": False}, False),
        ({"contains": "pricing", "ends_with": "x=1"}, True),
        ({"contains": "pricing", "ends_with": "y=2"}, False),
    ],
)
def test_string_operators(ops: dict[str, object], expected: bool) -> None:
    assert holds({"current_page": ops}, PAGE) is expected


@pytest.mark.parametrize(
    "ops",
    [
        {"eq": "x"},
        {"ne": "x"},
        {"in": ["x"]},
        {"not_in": ["x"]},
        {"contains": "x"},
        {"not_contains": "x"},
        {"starts_with": "x"},
        {"ends_with": "x"},
        {"matches": ".*"},
        {"contains_words": ["x"]},
        {"exists": True},
        {"exists": False, "ne": "x"},
    ],
)
def test_missing_value_fails_every_operator(ops: dict[str, object]) -> None:
    assert holds({"customer_name": ops}, {}) is False


def test_missing_value_holds_exists_false() -> None:
    assert holds({"customer_name": {"exists": False}}, {}) is True
    assert holds({"customer_name": {"exists": False}}, {"customer_name": "Ann"}) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How much is the ENTERPRISE plan?", True),
        ("enterprise", True),
        ("enterprises are big", False),
        ("an enterprise-grade thing", True),
        ("pricing, please", True),
        ("repricing", False),
        ("über-enterprise", True),
        ("Überenterprise", False),
        ("I like C++ a lot", True),
        ("I like C++17", False),
    ],
)
def test_contains_words_matches_whole_words_only(text: str, expected: bool) -> None:
    when = {"sent_message": {"contains_words": ["enterprise", "pricing", "c++"]}}
    assert holds(when, {"sent_message": text}) is expected


def test_contains_words_phrases() -> None:
    when = {"sent_message": {"contains_words": ["enterprise plan"]}}
    assert holds(when, {"sent_message": "the Enterprise  plan"}) is False
    assert holds(when, {"sent_message": "the enterprise plan?"}) is True


def test_matches_is_searched_and_case_insensitive() -> None:
    assert holds(
        {"current_page_title": {"matches": "docs - (api|install)"}},
        {"current_page_title": "Home / Docs - API"},
    )
    assert not holds(
        {"current_page_title": {"matches": "^docs"}}, {"current_page_title": "Home / Docs"}
    )


def test_unicode_case_folding() -> None:
    assert holds({"customer_name": {"eq": "STRASSE"}}, {"customer_name": "straße"})
    assert holds({"region": {"contains": "MÜNCHEN"}}, {"region": "Bayern/München"})


def test_chat_status_values() -> None:
    assert holds({"chat_status": {"eq": "chatting"}}, {"chat_status": "chatting"})
    assert holds({"chat_status": {"in": ["invited", "chatting"]}}, {"chat_status": "invited"})
    assert not holds({"chat_status": {"ne": "none"}}, {"chat_status": "none"})
