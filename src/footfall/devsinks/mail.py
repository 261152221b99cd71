"""An SMTP sink: accepts every mail, keeps it in memory and writes it as an ``.eml`` file."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["ReceivedMail", "SmtpSink"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    """One mail the sink accepted."""

    number: int
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    message_id: str | None
    body: str
    raw: bytes
    path: Path | None

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly view (without the raw bytes)."""
        return {
            "number": self.number,
            "received_at": self.received_at.isoformat(),
            "mail_from": self.mail_from,
            "rcpt_tos": list(self.rcpt_tos),
            "subject": self.subject,
            "message_id": self.message_id,
            "body": self.body,
            "path": None if self.path is None else str(self.path),
        }


class SmtpSink:
    """An in-process SMTP server that accepts every mail (no authentication, no relay)."""

    def __init__(self, directory: Path | None = None, *, keep: int = 10_000) -> None:
        self._directory = directory
        self._keep = keep
        self._mails: list[ReceivedMail] = []
        self._count = 0
        self._server: asyncio.base_events.Server | None = None
        self._changed = asyncio.Condition()
        self._address: tuple[str, int] | None = None

    @property
    def mails(self) -> list[ReceivedMail]:
        """The mails received so far (the most recent ``keep`` of them), oldest first."""
        return list(self._mails)

    @property
    def received_count(self) -> int:
        return self._count

    @property
    def address(self) -> tuple[str, int]:
        if self._address is None:
            raise RuntimeError("the SMTP sink is not started")
        return self._address

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on ``host:port`` (0 picks a free port); return the address."""
        if self._directory is not None:
            self._directory.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        handler = _Handler(self._accept)
        self._server = await loop.create_server(
            lambda: SMTP(handler, hostname="footfall-smtp-sink", enable_SMTPUTF8=True),
            host=host,
            port=port,
        )
        sockname = self._server.sockets[0].getsockname()
        self._address = (str(sockname[0]), int(sockname[1]))
        return self._address

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, predicate: Callable[[ReceivedMail], bool]) -> ReceivedMail:
        """Wait until a received mail satisfies ``predicate`` (bound it with asyncio.timeout)."""
        async with self._changed:
            while True:
                for mail in self._mails:
                    if predicate(mail):
                        return mail
                await self._changed.wait()

    async def _accept(self, envelope: Envelope) -> None:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = _text_body(message)
        self._count += 1
        received_at = datetime.now(UTC)
        path = None
        if self._directory is not None:
            stamp = received_at.strftime("%Y%m%dT%H%M%S")
            name = _UNSAFE.sub("_", str(message.get("Message-ID", "") or "mail")).strip("_")
            path = self._directory / f"{stamp}-{self._count:06d}-{name[:60]}.eml"
            await asyncio.to_thread(path.write_bytes, raw)
        mail = ReceivedMail(
            number=self._count,
            received_at=received_at,
            mail_from=str(envelope.mail_from or ""),
            rcpt_tos=tuple(str(r) for r in envelope.rcpt_tos),
            subject=str(message.get("Subject", "")),
            message_id=None if message.get("Message-ID") is None else str(message["Message-ID"]),
            body=body,
            raw=raw,
            path=path,
        )
        async with self._changed:
            self._mails.append(mail)
            del self._mails[: max(0, len(self._mails) - self._keep)]
            self._changed.notify_all()


def _text_body(message: email.message.Message) -> str:
    if not isinstance(message, email.message.EmailMessage):
        return ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None or not isinstance(part, email.message.EmailMessage):
        return ""
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        return ""


class _Handler:
    """aiosmtpd handler: accept every recipient and every message."""

    def __init__(self, accept: Callable[[Envelope], Any]) -> None:
        self._accept = accept

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self._accept(envelope)
        return "250 Message accepted for delivery"
