from datetime import UTC, datetime

import pytest

from footfall.worker.errors import BadCommandError
from footfall.worker.mail import Mail, address_list, build_message, check_address, message_id

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_message_headers_and_no_bcc_header() -> None:
    mail = Mail(
        to=("a@example.com",),
        cc=("Bee <b@example.com>",),
        bcc=("hidden@example.com",),
        reply_to=("r@example.com",),
        subject="Hello",
        body="Body text",
    )
    msg = build_message(mail, "footfall@example.com", message_id("abc123"), NOW)
    assert msg["Message-ID"] == "<abc123@footfall>"
    assert msg["To"] == "a@example.com"
    assert msg["Cc"] == "Bee <b@example.com>"
    assert msg["Bcc"] is None
    assert "hidden@example.com" not in msg.as_string()
    assert mail.recipients == ["a@example.com", "b@example.com", "hidden@example.com"]
    assert msg["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize(
    ("subject", "sent"),
    [
        ("Hi\r\nBcc: victim@example.com", "Hi  Bcc: victim@example.com"),
        ("Hi\nX-Injected: 1", "Hi X-Injected: 1"),
        ("Hi\rX: 1", "Hi X: 1"),
        ("Hi\r\n", "Hi"),
        ("\r", ""),
        ("a\u2028b\x85c\u2029d", "a b c d"),
    ],
)
def test_line_breaks_in_a_subject_become_spaces(subject: str, sent: str) -> None:
    msg = build_message(
        Mail(to=("a@example.com",), subject=subject, body=""), "f@x.org", "<i@f>", NOW
    )
    assert msg["Subject"] == sent


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com\r\nBcc: victim@example.com",
        "a@example.com, b@example.com",
        "not-an-address",
        "",
        "a@b@c",
        "Name <a@example.com",
        "N <a@example.com> <b@example.com>",
        "ünï@example.com",
        "=?utf-8?q?a?=@example.com",
        "a@" + "b" * 250 + ".example",
    ],
)
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(BadCommandError):
        check_address(address, "params.to[0]")


def test_address_list_accepts_a_single_string_and_names_the_position() -> None:
    assert address_list("a@example.com", "params.to") == ("a@example.com",)
    with pytest.raises(BadCommandError, match=r"params.cc\[1\]"):
        address_list(["a@example.com", "bad"], "params.cc")


def test_message_id_is_derived_and_safe() -> None:
    assert message_id("c1") == message_id("c1")
    assert message_id("c1", "sms") == "<c1.sms@footfall>"
    assert message_id("a b>c<@") == "<a_b_c__@footfall>"


def test_bodies_round_trip_ascii_and_utf8() -> None:
    import email
    from email import policy

    from aiosmtplib.email import flatten_message

    for body in ("plain text\nsecond line", "Grüße aus Köln – " + "ü" * 2000, "x" * 5000):
        mail = Mail(to=("a@example.com",), subject="Grüße", body=body)
        raw = flatten_message(build_message(mail, "Footfall <f@example.com>", "<i@footfall>", NOW))
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
        parsed = email.message_from_bytes(raw, policy=policy.default)
        assert parsed.get_content().replace("\r\n", "\n") == body + "\n"
        assert parsed["Subject"] == "Grüße"
        assert parsed["From"] == "Footfall <f@example.com>"
