"""The SMTP sink receives real mails over SMTP (aiosmtplib) and keeps them."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from footfall.devsinks import SmtpSink


def _mail(subject: str, to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "footfall@example.com"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@footfall.test>"
    message.set_content(f"Body of {subject} — with ünïcode")
    return message


async def test_keeps_mails_in_memory_and_as_eml_files(tmp_path: Path) -> None:
    sink = SmtpSink(tmp_path / "mails")
    host, port = await sink.start()
    try:
        await aiosmtplib.send(_mail("first mail", "sales@example.com"), hostname=host, port=port)
        await aiosmtplib.send(
            _mail("second mail", "ops@example.com"),
            hostname=host,
            port=port,
            recipients=["ops@example.com", "cc@example.com"],
        )
        async with asyncio.timeout(5):
            second = await sink.wait_for(lambda m: m.subject == "second mail")
    finally:
        await sink.stop()
    assert sink.received_count == 2
    first = sink.mails[0]
    assert first.subject == "first mail"
    assert first.rcpt_tos == ("sales@example.com",)
    assert first.mail_from == "footfall@example.com"
    assert first.message_id == "<first-mail@footfall.test>"
    assert "ünïcode" in first.body
    assert second.rcpt_tos == ("ops@example.com", "cc@example.com")
    files = sorted((tmp_path / "mails").glob("*.eml"))
    assert [f.name for f in files] == [m.path.name for m in sink.mails if m.path]
    assert b"Subject: second mail" in files[1].read_bytes()


async def test_keeps_only_the_most_recent_mails_but_counts_all() -> None:
    sink = SmtpSink(keep=2)
    host, port = await sink.start()
    try:
        for n in range(3):
            await aiosmtplib.send(_mail(f"mail {n}", "a@example.com"), hostname=host, port=port)
    finally:
        await sink.stop()
    assert sink.received_count == 3
    assert [m.subject for m in sink.mails] == ["mail 1", "mail 2"]
    assert sink.mails[0].path is None


async def test_wait_for_times_out_when_nothing_matches() -> None:
    sink = SmtpSink()
    await sink.start()
    try:
        try:
            async with asyncio.timeout(0.2):
                await sink.wait_for(lambda m: True)
        except TimeoutError:
            pass
        else:
            raise AssertionError("wait_for returned without any mail")
    finally:
        await sink.stop()
