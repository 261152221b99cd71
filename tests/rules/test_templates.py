"""Template placeholders and escaping by where the value lands."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from footfall.rules import compile_rule

from .helpers import problems, raw_rule

HOSTILE = "a b/c?d=e&f#g\r\nBcc: evil@example.org, x@y;<z>"


def action(**params: Any) -> Any:
    return compile_rule(raw_rule(actions=[params])).actions[0]


def test_url_values_are_percent_encoded() -> None:
    a = action(
        kind="call_web_page", url="https://h.example/p/{{customer_name}}?n={{customer_name}}"
    )
    url = a.render({"customer_name": HOSTILE})["url"]
    encoded = "a%20b%2Fc%3Fd%3De%26f%23g%0D%0ABcc%3A%20evil%40example.org%2C%20x%40y%3B%3Cz%3E"
    assert url == f"https://h.example/p/{encoded}?n={encoded}"


def test_header_values_lose_line_breaks() -> None:
    a = action(
        kind="call_web_page", url="https://h.example/", headers={"X-Name": "n={{customer_name}}"}
    )
    assert a.render({"customer_name": HOSTILE})["headers"] == {
        "X-Name": "n=a b/c?d=e&f#g  Bcc: evil@example.org, x@y;<z>"
    }


def test_subjects_lose_line_breaks_bodies_keep_text() -> None:
    a = action(
        kind="send_email",
        to=["a@example.com"],
        subject="S {{customer_name}}",
        body="B {{customer_name}}",
    )
    rendered = a.render({"customer_name": "x\r\ny\u2028z"})
    assert rendered["subject"] == "S x  y z"
    assert rendered["body"] == "B x\r\ny\u2028z"


def test_address_values_cannot_add_recipients() -> None:
    a = action(kind="send_email", to=["{{customer_email}}"], reply_to="{{customer_email}}")
    rendered = a.render({"customer_email": "a@example.com,\r\n b@evil.org; <c@evil.org>"})
    assert rendered["to"] == ["a@example.com   b@evil.org c@evil.org"]
    assert "," not in rendered["reply_to"] and "\n" not in rendered["reply_to"]


def test_log_lines_stay_one_line() -> None:
    a = action(kind="log_to_file", file="a.log", line="{{visitor_id}}: {{sent_message}}")
    assert (
        a.render({"visitor_id": "v1", "sent_message": "hi\nforged line"})["line"]
        == "v1: hi forged line"
    )


def test_json_values_keep_their_types_and_strings_are_plain() -> None:
    a = action(
        kind="call_web_page",
        url="https://h.example/",
        method="POST",
        body={
            "hits": "{{hits}}",
            "m": "{{duration_minutes}}",
            "who": "{{customer_name}}",
            "quote": 'say "{{customer_name}}"',
            "none": "{{region}}",
        },
    )
    body = a.render({"hits": 3, "duration_minutes": 2.5, "customer_name": 'A "B" \\ C'})["body"]
    assert body == {
        "hits": 3,
        "m": 2.5,
        "who": 'A "B" \\ C',
        "quote": 'say "A "B" \\ C"',
        "none": "",
    }


def test_missing_values_render_empty_and_numbers_read_well() -> None:
    a = action(
        kind="send_email",
        to=["a@example.com"],
        body="[{{customer_name}}] {{hits}} {{duration_minutes}} {{idle_minutes}}",
    )
    assert (
        a.render({"hits": 7, "duration_minutes": 12.3456, "idle_minutes": 3.0})["body"]
        == "[] 7 12.35 3"
    )


def test_spaces_inside_braces_and_all_placeholder_names() -> None:
    names = [
        "visitor_id",
        "rule.id",
        "rule.name",
        "event.type",
        "event.time",
        "hits",
        "time_of_day",
        "day_of_week",
    ]
    body = " ".join(f"{{{{ {n} }}}}" for n in names)
    a = action(kind="send_email", to=["a@example.com"], body=body)
    values = {n: n.upper() for n in names}
    assert a.render(values)["body"] == " ".join(n.upper() for n in names)


def test_no_expressions_or_attribute_access() -> None:
    for text in [
        "{{ hits + 1 }}",
        "{{ customer_name.upper() }}",
        "{{ rule }}",
        "{{ __class__ }}",
        "{{ hits | upper }}",
    ]:
        assert problems(
            raw_rule(actions=[{"kind": "send_email", "to": ["a@example.com"], "body": text}])
        ), text


WEB = action(
    kind="call_web_page",
    url="https://h.example/?v={{visitor_id}}",
    headers={"X-A": "{{customer_name}}"},
)
MAIL = action(kind="send_email", to=["{{customer_email}}"], subject="{{customer_name}}")
LOG = action(kind="log_to_file", file="a.log", line="{{customer_name}}")


@given(st.text(max_size=200))
def test_rendered_values_never_break_their_place(value: str) -> None:
    values = {"customer_name": value, "visitor_id": value, "customer_email": value}
    web, mail, log = WEB.render(values), MAIL.render(values), LOG.render(values)
    for text in (web["headers"]["X-A"], mail["subject"], log["line"], *mail["to"]):
        assert not any(c in text for c in "\r\n\x00\u2028\u2029")
    assert not any(c in "".join(mail["to"]) for c in ",;<>")
    query = web["url"].removeprefix("https://h.example/?v=")
    assert all(c.isalnum() or c in "%-._~" for c in query)
