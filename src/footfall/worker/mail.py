"""Building and sending mail for ``send_email`` and ``use_my_notification_profile``.

Messages are built with :class:`email.message.EmailMessage` under the SMTP policy, which
refuses CR/LF in header values (no header injection through rendered subjects or
addresses). Each address must be one plain address. ``Message-ID`` is derived from the
command id so that repeats of a command carry the same id. Mail goes through a small
pool of reused SMTP connections (STARTTLS/TLS/auth from the settings).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import quopri
import re
from dataclasses import dataclass
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from typing import Any, Protocol

import aiosmtplib

from footfall.settings import SmtpSettings
from footfall.worker.errors import BadCommandError, RejectedError, TransientActionError

__all__ = ["Mail", "MailTransport", "SmtpPool", "build_message", "check_address", "message_id"]


class _CachedHeaderRegistry(HeaderRegistry):
    """The standard header registry, without building a new class for every header."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


_POLICY = policy.SMTP.clone(raise_on_defect=True, header_factory=_CachedHeaderRegistry())
_ID_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# every character str.splitlines() breaks on, and NUL: none may appear in a header value
_BREAKS = re.compile("[\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class Mail:
    """A message to send: envelope recipients are ``to + cc + bcc``."""

    to: tuple[str, ...]
    subject: str
    body: str
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


class MailTransport(Protocol):
    async def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None: ...


def message_id(command_id: str, part: str = "") -> str:
    """``<command-id[.part]@footfall>`` with any unsafe character replaced."""
    local = _ID_SAFE.sub("_", command_id) + (f".{part}" if part else "")
    return f"<{local}@footfall>"


def check_address(value: Any, where: str) -> str:
    """One plain e-mail address (``a@b`` or ``Name <a@b>``); BadCommandError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise BadCommandError(f"{where}: expected an e-mail address")
    if _BREAKS.search(value):
        raise BadCommandError(f"{where}: line breaks are not allowed in an address")
    found = getaddresses([value])
    if len(found) != 1:
        raise BadCommandError(f"{where}: {value!r} is not a single e-mail address")
    addr = found[0][1]
    if not addr or addr.count("@") != 1 or "," in addr or " " in addr:
        raise BadCommandError(f"{where}: {value!r} is not a single e-mail address")
    local, _, domain = addr.rpartition("@")
    if not local or not domain:
        raise BadCommandError(f"{where}: {value!r} is not a single e-mail address")
    return value.strip()


def address_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise BadCommandError(f"{where}: expected a list of e-mail addresses")
    return tuple(check_address(v, f"{where}[{i}]") for i, v in enumerate(value))


def build_message(mail: Mail, sender: str, msg_id: str, now: Any) -> EmailMessage:
    """The message (no Bcc header); BadCommandError if a header would be unsafe.

    Every header value goes through the SMTP policy (which refuses CR/LF); the headers
    that are the same on every message are parsed once and reused.
    """
    for where, text in (("subject", mail.subject), ("Message-ID", msg_id)):
        if _BREAKS.search(text):
            raise BadCommandError(f"{where}: line breaks are not allowed in a mail header")
    message = EmailMessage(policy=_POLICY)
    try:
        for name, header in _constant_headers(sender):
            message[name] = header
        if mail.to:
            message["To"] = ", ".join(mail.to)
        if mail.cc:
            message["Cc"] = ", ".join(mail.cc)
        if mail.reply_to:
            message["Reply-To"] = ", ".join(mail.reply_to)
        message["Subject"] = mail.subject
        message["Message-ID"] = msg_id
        message["Date"] = format_datetime(now)
        _set_text_body(message, mail.body)
    except (ValueError, TypeError) as exc:
        raise BadCommandError(f"cannot build the message: {exc}") from None
    return message


@functools.lru_cache(maxsize=8)
def _constant_headers(sender: str) -> tuple[tuple[str, Any], ...]:
    """Parsed From, Auto-Submitted and MIME headers (checked by the policy once)."""
    template = EmailMessage(policy=_POLICY)
    template["From"] = sender
    template["Auto-Submitted"] = "auto-generated"
    template["MIME-Version"] = "1.0"
    template["Content-Type"] = 'text/plain; charset="utf-8"'
    return tuple((name, template[name]) for name in template.keys())  # noqa: SIM118


def _set_text_body(message: EmailMessage, body: str) -> None:
    """A text/plain UTF-8 body: 7bit when it is short-lined ASCII, else quoted-printable."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    if text.isascii() and all(len(line) <= 900 for line in text.split("\n")):
        message["Content-Transfer-Encoding"] = _cte("7bit")
        message.set_payload(text)
    else:
        message["Content-Transfer-Encoding"] = _cte("quoted-printable")
        message.set_payload(quopri.encodestring(text.encode("utf-8")).decode("ascii"))


@functools.lru_cache(maxsize=2)
def _cte(value: str) -> Any:
    template = EmailMessage(policy=_POLICY)
    template["Content-Transfer-Encoding"] = value
    return template["Content-Transfer-Encoding"]


def sender_address(mail_from: str) -> str:
    _name, addr = parseaddr(mail_from)
    return addr or mail_from


class SmtpPool:
    """Up to ``size`` reused SMTP connections; a broken one is replaced on next use."""

    def __init__(self, settings: SmtpSettings, size: int = 8, timeout: float = 30.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP | None] = asyncio.LifoQueue()
        for _ in range(size):
            self._idle.put_nowait(None)

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            use_tls=s.tls == "tls",
            start_tls=s.tls == "starttls",
            timeout=self._timeout,
        )

    async def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        client = await self._idle.get()
        try:
            if client is None or not client.is_connected:
                client = self._client()
                await client.connect()
            errors, _ = await client.send_message(
                message, sender=sender_address(sender), recipients=recipients
            )
        except asyncio.CancelledError:
            _discard(client)
            client = None
            raise
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            _discard(client)
            client = None
            if any(400 <= code < 500 for code in codes):
                raise TransientActionError(f"SMTP recipients deferred: {codes}") from None
            raise RejectedError(f"SMTP refused every recipient: {codes}") from None
        except aiosmtplib.SMTPResponseException as exc:
            _discard(client)
            client = None
            text = f"SMTP {exc.code}: {_short(exc.message)}"
            if 400 <= exc.code < 500:
                raise TransientActionError(text) from None
            raise RejectedError(text) from None
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            _discard(client)
            client = None
            detail = _short(str(exc)) or type(exc).__name__
            raise TransientActionError(f"SMTP connection failed: {detail}") from None
        finally:
            self._idle.put_nowait(client)
        del errors  # refused recipients of a partly accepted message are not retried

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            _discard(client)


def _discard(client: aiosmtplib.SMTP | None) -> None:
    """Close a connection, broken ones included."""
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


def _short(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")[:200]
