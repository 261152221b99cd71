"""Header injection through the real mail actions, checked on the bytes a real SMTP server
(aiosmtpd) receives: no rendered value can add a header, whether it carries a raw line
break (CR, LF, NEL, U+2028/2029) or an RFC 2047 encoded word that decodes to one."""

from __future__ import annotations

import asyncio
import base64
import email
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from footfall.settings import Settings, SmtpSettings
from footfall.worker.actions import ACTIONS
from footfall.worker.command import command_from_dict
from footfall.worker.context import ActionContext
from footfall.worker.directory import Directory, Profile
from footfall.worker.errors import BadCommandError
from footfall.worker.http import make_session
from footfall.worker.mail import SmtpPool
from footfall.worker.netguard import Allowlist
from footfall.worker.testing import RecordingPublisher, build_command

EVIL = "inj@evil.test"
RAW_BREAKS = ["\r\n", "\n", "\r", "\x85", "\u2028", "\u2029", "\r\n\r\n", "\x00", "\x0b"]
ENCODED = [
    "=?utf-8?q?x=0D=0ABcc:_inj@evil.test?=",
    "=?UTF-8?Q?x=0ABcc:_inj@evil.test?=",
    "=?us-ascii?q?x=0DBcc:_inj@evil.test?=",
    "=?utf-8?b?" + base64.b64encode(b"x\r\nBcc: inj@evil.test").decode() + "?=",
    "=?utf-8?q?x=0D=0A=0D=0Areplaced_body?=",
    "=?utf-8?q?x=C2=85Bcc:_inj@evil.test?=",
    "=?utf-8?q?x=E2=80=A8Bcc:_inj@evil.test?=",
    "a =?utf-8?q?=0D=0A?= =?utf-8?q?Bcc:_inj@evil.test?= b",
    "=?iso-8859-1?q?x=0D=0ABcc:_inj@evil.test?=",
]
BODY = "first\n.\n..\n.starts with a dot\n...\n. \nlast"
BASE_HEADERS = [
    "From",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
    "To",
    "Subject",
    "Message-ID",
    "Date",
    "Content-Transfer-Encoding",
]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Inbox:
    mails: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
async def inbox() -> AsyncIterator[tuple[Inbox, int]]:
    box = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(box, hostname="localhost"), "127.0.0.1", 0)
    yield box, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def send(
    port: int, kind: str, params: dict[str, Any], mail_from: str = "f@example.com", **kw: Any
) -> None:
    """Run the action as the worker does, through a real SMTP connection pool."""
    smtp = SmtpSettings(host="127.0.0.1", port=port, mail_from=mail_from)
    pool = SmtpPool(smtp)
    allow = Allowlist.parse([])
    session = make_session(allow)
    directory = Directory()
    directory.profiles["agent:alice"] = Profile(
        "agent:alice", "Alice", ("alice@example.com",), ("5551234@sms.example.com",), True
    )
    ctx = ActionContext(
        settings=Settings(smtp=smtp, log_dir=Path("unused")),
        http=session,
        allowlist=allow,
        mailer=pool,
        publish=RecordingPublisher(),
        directory=directory,
        clock=time.time,
    )
    try:
        await ACTIONS[kind](command_from_dict(build_command(kind, params, **kw)), ctx)
    finally:
        await pool.close()
        await session.close()


def header_names(data: bytes) -> list[str]:
    """The names of the header fields on the wire: every line of the header block that
    does not continue a folded one."""
    head, sep, _ = data.partition(b"\r\n\r\n")
    assert sep, "no end of the header block"
    lines = head.split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    return [line.split(b":", 1)[0].decode() for line in lines if line[:1] not in (b" ", b"\t")]


def parsed(received: Received) -> EmailMessage:
    message = email.message_from_bytes(received.data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def display_name(message: EmailMessage, header: str) -> str:
    """The display name of a one-address header, decoded as RFC 2047 says: white space
    between adjacent encoded words is dropped (Python's own address parser keeps it)."""
    (raw,) = [value for name, value in message.raw_items() if name == header]
    phrase, _, addr = "".join(raw.splitlines()).rpartition("<")
    assert addr.endswith(">")
    return str(make_header(decode_header(phrase.strip())))


def check_clean(received: Received, expected: list[str], recipients: list[str]) -> EmailMessage:
    assert header_names(received.data) == expected
    assert EVIL not in received.rcpt_tos and received.rcpt_tos == recipients
    message = parsed(received)
    assert message.get_content().replace("\r\n", "\n") == BODY + "\n"
    return message


@pytest.mark.parametrize("value", ENCODED, ids=range(len(ENCODED)))
async def test_encoded_words_in_a_subject_go_out_as_literal_text(inbox, value: str) -> None:
    box, port = inbox
    subject = f"Hi {value}"
    await send(port, "send_email", {"to": ["a@example.com"], "subject": subject, "body": BODY})
    (received,) = box.mails
    message = check_clean(received, BASE_HEADERS, ["a@example.com"])
    assert message["Subject"] == subject


@pytest.mark.parametrize("brk", RAW_BREAKS, ids=range(len(RAW_BREAKS)))
async def test_line_breaks_in_a_subject_become_spaces(inbox, brk: str) -> None:
    box, port = inbox
    subject = f"Hi{brk}Bcc: {EVIL}"
    await send(port, "send_email", {"to": ["a@example.com"], "subject": subject, "body": BODY})
    (received,) = box.mails
    message = check_clean(received, BASE_HEADERS, ["a@example.com"])
    assert message["Subject"] == "Hi" + " " * len(brk) + f"Bcc: {EVIL}"


@pytest.mark.parametrize("value", ENCODED, ids=range(len(ENCODED)))
@pytest.mark.parametrize("where", ["to", "cc", "bcc", "reply_to", "from"])
async def test_encoded_words_in_display_names_go_out_as_literal_text(
    inbox, where: str, value: str
) -> None:
    box, port = inbox
    named = f"{value} <n@example.com>"
    params: dict[str, Any] = {"to": ["a@example.com"], "subject": "s", "body": BODY}
    mail_from = "f@example.com"
    expected = list(BASE_HEADERS)
    recipients = ["a@example.com"]
    if where == "from":
        mail_from = named
    elif where == "reply_to":
        params["reply_to"] = named
        expected.insert(5, "Reply-To")
    elif where == "to":
        params["to"] = [named]
        recipients = ["n@example.com"]
    else:
        params[where] = [named]
        recipients.append("n@example.com")
        if where == "cc":
            expected.insert(5, "Cc")
    await send(port, "send_email", params, mail_from=mail_from)
    (received,) = box.mails
    message = check_clean(received, expected, recipients)
    header = {"from": "From", "to": "To", "cc": "Cc", "reply_to": "Reply-To"}.get(where)
    if header is not None:
        (address,) = message[header].addresses
        assert address.addr_spec == "n@example.com"
        assert display_name(message, header) == value
    else:
        assert b"n@example.com" not in received.data  # Bcc stays in the envelope
    if where == "from":
        assert received.mail_from == "n@example.com"


@pytest.mark.parametrize("brk", RAW_BREAKS, ids=range(len(RAW_BREAKS)))
@pytest.mark.parametrize("where", ["to", "cc", "bcc", "reply_to"])
async def test_line_breaks_in_an_address_are_refused(inbox, where: str, brk: str) -> None:
    box, port = inbox
    params: dict[str, Any] = {"to": ["a@example.com"], "subject": "s", "body": BODY}
    params[where] = [f"Name{brk}Bcc: {EVIL} <n@example.com>"]
    with pytest.raises(BadCommandError, match=f"params.{where}.*line breaks|control characters"):
        await send(port, "send_email", params)
    assert box.mails == []


@pytest.mark.parametrize("value", [*ENCODED, *(f"x{b}Bcc: {EVIL}" for b in RAW_BREAKS)])
async def test_notification_profile_subjects_add_no_header(inbox, value: str) -> None:
    box, port = inbox
    await send(
        port,
        "use_my_notification_profile",
        {"subject": f"Alert {value}", "body": BODY},
        owner={"role": "agent", "id": "alice"},
    )
    mail, sms = box.mails
    assert header_names(mail.data) == BASE_HEADERS == header_names(sms.data)
    assert (mail.rcpt_tos, sms.rcpt_tos) == (["alice@example.com"], ["5551234@sms.example.com"])
    assert parsed(mail).get_content().replace("\r\n", "\n") == BODY + "\n"
    subject = parsed(mail)["Subject"]
    if value in ENCODED:
        assert subject == f"Alert {value}"
        assert parsed(sms)["Subject"] == f"Alert {value}"[:160]
    else:
        assert "\n" not in subject and "\r" not in subject and subject.endswith(f"Bcc: {EVIL}")


async def test_dot_lines_of_the_body_arrive_intact(inbox) -> None:
    box, port = inbox
    body = ".\n..\n.x\n...\n.\r\n.\rend."
    await send(port, "send_email", {"to": ["a@example.com"], "subject": "dots", "body": body})
    (received,) = box.mails
    assert parsed(received).get_content().replace("\r\n", "\n") == ".\n..\n.x\n...\n.\n.\nend.\n"
    assert received.data.endswith(b"\r\n.\r\n..\r\n.x\r\n...\r\n.\r\n.\r\nend.\r\n")
