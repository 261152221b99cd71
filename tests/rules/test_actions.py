"""Every action kind: accepted parameters, rendering with defaults, frequency settings."""

from __future__ import annotations

from typing import Any

import pytest

from footfall.rules import ACTION_KINDS, compile_rule

from .helpers import problems, raw_rule

VALUES: dict[str, object] = {
    "visitor_id": "v1",
    "customer_name": "Ann",
    "customer_email": "ann@example.net",
    "hits": 4,
    "country": "DE",
    "current_page": "https://example.com/pricing",
    "rule.id": "r1",
    "rule.name": "Rule one",
}


def render(action: dict[str, Any], values: dict[str, object] | None = None) -> dict[str, Any]:
    rule = compile_rule(raw_rule(actions=[action]))
    return rule.actions[0].render(VALUES if values is None else values)


def test_call_web_page_defaults_and_rendering() -> None:
    assert render(
        {"kind": "call_web_page", "url": "https://hooks.example.com/x?v={{visitor_id}}"}
    ) == {
        "url": "https://hooks.example.com/x?v=v1",
        "method": "GET",
        "timeout": 10.0,
    }
    full = render(
        {
            "kind": "call_web_page",
            "url": "https://hooks.example.com/{{country}}",
            "method": "put",
            "headers": {"X-Visitor": "{{visitor_id}}", "X-Static": "yes"},
            "body": {
                "hits": "{{hits}}",
                "text": "{{customer_name}} on {{current_page}}",
                "n": [1, None],
            },
            "timeout": "2s",
        }
    )
    assert full == {
        "url": "https://hooks.example.com/DE",
        "method": "PUT",
        "headers": {"X-Visitor": "v1", "X-Static": "yes"},
        "body": {"hits": 4, "text": "Ann on https://example.com/pricing", "n": [1, None]},
        "timeout": 2.0,
    }


def test_log_to_file() -> None:
    assert render({"kind": "log_to_file", "file": "rules/a.log"}) == {"file": "rules/a.log"}
    assert render({"kind": "log_to_file", "file": "a.log", "line": "{{visitor_id}} {{hits}}"}) == {
        "file": "a.log",
        "line": "v1 4",
    }


def test_notify_external_provider() -> None:
    assert render({"kind": "notify_external_provider", "provider": "crm"}) == {"provider": "crm"}
    assert render(
        {
            "kind": "notify_external_provider",
            "provider": "crm",
            "payload": {"who": "{{customer_email}}"},
        }
    ) == {"provider": "crm", "payload": {"who": "ann@example.net"}}


@pytest.mark.parametrize("kind", ["purge_from_list", "remove_from_list"])
def test_list_actions_take_no_parameters(kind: str) -> None:
    assert render({"kind": kind}) == {}
    assert problems(raw_rule(actions=[{"kind": kind, "x": 1}])) == [
        f"r1: actions[0]: unknown parameter 'x' ({kind} takes no parameters)"
    ]


def test_send_email() -> None:
    assert render(
        {
            "kind": "send_email",
            "to": ["sales@example.com", "{{customer_email}}"],
            "cc": ["Boss <boss@example.com>"],
            "bcc": [],
            "subject": "{{rule.name}}: {{visitor_id}}",
            "body": "{{hits}} hits from {{country}}",
            "reply_to": "{{customer_email}}",
        }
    ) == {
        "to": ["sales@example.com", "ann@example.net"],
        "cc": ["Boss <boss@example.com>"],
        "bcc": [],
        "subject": "Rule one: v1",
        "body": "4 hits from DE",
        "reply_to": "ann@example.net",
    }


def test_send_email_drops_recipients_that_render_empty() -> None:
    rendered = render({"kind": "send_email", "to": ["a@example.com", "{{customer_email}}"]}, {})
    assert rendered == {"to": ["a@example.com"]}


def test_send_live_chat_invitation() -> None:
    assert render(
        {
            "kind": "send_live_chat_invitation",
            "message": "Hi {{customer_name}}!\nQuestions?",
            "department": "sales",
            "agent": "alice",
        }
    ) == {"message": "Hi Ann!\nQuestions?", "department": "sales", "agent": "alice"}


def test_use_my_notification_profile() -> None:
    assert render(
        {"kind": "use_my_notification_profile", "subject": "{{visitor_id}}", "body": "b"}
    ) == {
        "subject": "v1",
        "body": "b",
    }


def test_max_frequency_and_per() -> None:
    rule = compile_rule(
        raw_rule(
            actions=[
                {"kind": "remove_from_list"},
                {"kind": "remove_from_list", "max_frequency": "1h30m", "per": "visitor"},
                {"kind": "remove_from_list", "max_frequency": "0"},
            ]
        )
    )
    assert [(a.index, a.max_frequency, a.per) for a in rule.actions] == [
        (0, 0.0, "rule"),
        (1, 5400.0, "visitor"),
        (2, 0.0, "rule"),
    ]


def test_every_kind_is_covered() -> None:
    assert {
        "call_web_page",
        "log_to_file",
        "notify_external_provider",
        "purge_from_list",
        "remove_from_list",
        "send_email",
        "send_live_chat_invitation",
        "use_my_notification_profile",
    } == ACTION_KINDS


@pytest.mark.parametrize(
    "file",
    ["a.log", "rules/r1.log", "deep/er/x.log", "..x.log", "ü/x.log", "a b.log"],
)
def test_log_paths_inside_the_directory(file: str) -> None:
    assert problems(raw_rule(actions=[{"kind": "log_to_file", "file": file}])) == []


@pytest.mark.parametrize(
    "file",
    [
        "/a.log",
        "../a.log",
        "a/../../b.log",
        "~/a.log",
        "\\\\host\\x.log",
        "a\\..\\..\\b",
        "",
        "./x.log",
        "a//x.log",
        "a\\b.log",
        "a\nb.log",
        "x/",
        "a" * 256,
    ],
)
def test_log_paths_leaving_the_directory(file: str) -> None:
    assert problems(raw_rule(actions=[{"kind": "log_to_file", "file": file}]))


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com:8443/p?q={{visitor_id}}#{{site}}",
        "HTTPS://EXAMPLE.COM/",
    ],
)
def test_accepted_urls(url: str) -> None:
    assert problems(raw_rule(actions=[{"kind": "call_web_page", "url": url}])) == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "javascript:alert(1)",
        "//example.com",
        "{{current_page}}",
        "https://",
        "https://a b/",
        "https://{{site}}/",
    ],
)
def test_refused_urls(url: str) -> None:
    assert problems(raw_rule(actions=[{"kind": "call_web_page", "url": url}]))
