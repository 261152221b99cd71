"""Building and sending mail for ``send_email`` and ``use_my_notification_profile``.

Every header is written by this module as plain ASCII and stored as it is
(:meth:`~email.message.Message.set_raw` under a policy that never refolds), so the mail
library never decodes or re-encodes a value. Text that is not plain printable ASCII, or
that contains ``=?`` (the start of an RFC 2047 encoded word), is sent as encoded words
of its UTF-8 bytes, so the recipient sees exactly the text given — an encoded word
inside a rendered subject or display name is shown as literal text and can never turn
into a line break on the wire. Line-break and other control characters in a subject
become spaces (as the processor's templates already do); an address containing one is
refused. Each address must be one plain ASCII address. ``Message-ID`` is derived from
the command id so that repeats of a command carry the same id. Mail goes through a
small pool of reused SMTP connections (STARTTLS/TLS/auth from the settings).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import quopri
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

import aiosmtplib

from footfall.settings import SmtpSettings
from footfall.worker.errors import (
    BadCommandError,
    ConfigurationError,
    RejectedError,
    TransientActionError,
)

__all__ = [
    "Mail",
    "MailTransport",
    "SmtpPool",
    "address_list",
    "build_message",
    "check_address",
    "header_text",
    "message_id",
]

# refold_source="none": the values set with set_raw below go out exactly as written
_POLICY = policy.SMTP.clone(raise_on_defect=True, refold_source="none")
_ID_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# every character str.splitlines() breaks on, and NUL: none may appear in an address
_BREAKS = re.compile("[\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# what the processor's templates turn into spaces in headers: C0 controls, DEL, NEL,
# LINE SEPARATOR, PARAGRAPH SEPARATOR
_CONTROLS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
_PLAIN = re.compile("[\x20-\x7e]*")
# an addr-spec written as it is: dot-atom local part, host name domain
_ADDR_SPEC = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_NAMED = re.compile(r"\s*([^<>]*?)\s*<([^<>]*)>\s*")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_QUOTED_PAIR = re.compile(r"\\(.)")
_MAX_ADDRESS = 254  # RFC 5321: a path is at most 256 characters with its < >
_MAX_WORD = 900  # a header line must stay below 998 characters
_LINE = 76  # the longest line with an encoded word (RFC 2047)
_WORD_BYTES = 39  # UTF-8 bytes per encoded word: "=?utf-8?b?" + 52 base64 + "?=" = 64


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
        """The envelope recipients: the bare addresses of ``to``, ``cc`` and ``bcc``."""
        return [_split(a)[1] for a in (*self.to, *self.cc, *self.bcc)]


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
    _split(value, where)
    return value.strip()


def _split(value: str, where: str = "address") -> tuple[str, str]:
    """(display name, addr-spec) of one address; BadCommandError if it is not one.

    ``Name <a@example.com>``: the name is everything before the ``<`` (a quoted string
    is unquoted), taken as literal text; otherwise the whole value is the addr-spec.
    """
    named = _NAMED.fullmatch(value)
    name, addr = (named.group(1), named.group(2)) if named else ("", value.strip())
    quoted = _QUOTED.fullmatch(name)
    if quoted:
        name = _QUOTED_PAIR.sub(r"\1", quoted.group(1))
    if len(addr) > _MAX_ADDRESS:
        raise BadCommandError(f"{where}: the address is longer than {_MAX_ADDRESS} characters")
    if not _ADDR_SPEC.fullmatch(addr) or "=?" in addr:
        if not addr.isascii():
            raise BadCommandError(
                f"{where}: {value!r}: only ASCII addresses can be sent "
                "(write an international domain in its xn-- form)"
            )
        raise BadCommandError(f"{where}: {value!r} is not a single e-mail address")
    if _CONTROLS.search(name):
        raise BadCommandError(f"{where}: control characters are not allowed in an address")
    return name, addr


def address_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise BadCommandError(f"{where}: expected a list of e-mail addresses")
    return tuple(check_address(v, f"{where}[{i}]") for i, v in enumerate(value))


def header_text(text: str) -> str:
    """Subject text as it is sent: control and line-break characters become spaces, and
    spaces around the text are dropped (readers drop them anyway)."""
    return _CONTROLS.sub(" ", text).strip(" ")


def build_message(mail: Mail, sender: str, msg_id: str, now: Any) -> EmailMessage:
    """The message (no Bcc header); BadCommandError if an address is not one address.

    Each header value is written here, as ASCII, and stored without any parsing: see
    the module docstring.
    """
    if not _PLAIN.fullmatch(msg_id) or len(msg_id) > _MAX_WORD:
        raise BadCommandError(
            f"Message-ID: expected at most {_MAX_WORD} printable ASCII characters"
        )
    message = EmailMessage(policy=_POLICY)
    try:
        sender_header = _addresses("From", (sender,))
    except BadCommandError as exc:
        raise ConfigurationError(f"FOOTFALL_MAIL_FROM: {exc}") from None
    message.set_raw("From", sender_header)
    message.set_raw("Auto-Submitted", "auto-generated")
    message.set_raw("MIME-Version", "1.0")
    message.set_raw("Content-Type", 'text/plain; charset="utf-8"')
    if mail.to:
        message.set_raw("To", _addresses("To", mail.to))
    if mail.cc:
        message.set_raw("Cc", _addresses("Cc", mail.cc))
    if mail.reply_to:
        message.set_raw("Reply-To", _addresses("Reply-To", mail.reply_to))
    message.set_raw("Subject", _fold("Subject", _text_words(header_text(mail.subject))))
    message.set_raw("Message-ID", msg_id)
    message.set_raw("Date", format_datetime(now))
    _set_text_body(message, mail.body)
    return message


def _addresses(header: str, values: tuple[str, ...]) -> str:
    """An address list header value: display names quoted or encoded, addresses bare."""
    words: list[str] = []
    for i, value in enumerate(values):
        name, addr = _split(value, header)
        comma = "," if i < len(values) - 1 else ""
        if not name:
            words.append(addr + comma)
            continue
        words.extend(_phrase_words(name))
        words.append(f"<{addr}>{comma}")
    return _fold(header, words)


def _phrase_words(name: str) -> list[str]:
    """A display name: one quoted string when it is short plain ASCII, else encoded words."""
    if _PLAIN.fullmatch(name) and "=?" not in name and len(name) <= _LINE - 20:
        return ['"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"']
    return _encoded_words(name)


def _text_words(text: str) -> list[str]:
    """Unstructured text (a subject) as words to join with single spaces.

    Plain printable ASCII without ``=?`` and without over-long words is sent as it is
    (split at its spaces); any other text as encoded words, which decode to exactly it.
    """
    words = text.split(" ")
    if _PLAIN.fullmatch(text) and "=?" not in text and all(len(w) <= _LINE - 20 for w in words):
        return words
    return _encoded_words(text)


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 ``B`` encoded words of the UTF-8 text, each at most 64 characters.

    Words are cut between characters; a decoder joins adjacent encoded words without
    the white space between them, so the words decode to exactly ``text``.
    """
    words: list[str] = []
    chunk = b""
    for char in text:
        data = char.encode("utf-8", "replace")
        if len(chunk) + len(data) > _WORD_BYTES:
            words.append(_encoded_word(chunk))
            chunk = b""
        chunk += data
    if chunk or not words:
        words.append(_encoded_word(chunk))
    return words


def _encoded_word(data: bytes) -> str:
    return "=?utf-8?b?" + base64.b64encode(data).decode("ascii") + "?="


def _fold(header: str, words: list[str]) -> str:
    """The words joined by spaces, with a line break before a space where a line is full."""
    lines: list[str] = []
    line = words[0] if words else ""
    used = len(header) + 2 + len(line)
    for word in words[1:]:
        if used + 1 + len(word) > _LINE:
            lines.append(line)
            line, used = " " + word, 1 + len(word)
        else:
            line += " " + word
            used += 1 + len(word)
    lines.append(line)
    return "\n".join(lines)


def _set_text_body(message: EmailMessage, body: str) -> None:
    """A text/plain UTF-8 body: 7bit when it is short-lined ASCII, else quoted-printable."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    if text.isascii() and all(len(line) <= 900 for line in text.split("\n")):
        message.set_raw("Content-Transfer-Encoding", "7bit")
        message.set_payload(text)
    else:
        message.set_raw("Content-Transfer-Encoding", "quoted-printable")
        message.set_payload(quopri.encodestring(text.encode("utf-8")).decode("ascii"))


def sender_address(mail_from: str) -> str:
    """The bare address of ``FOOTFALL_MAIL_FROM`` (the envelope sender)."""
    return _split(mail_from, "FOOTFALL_MAIL_FROM")[1]


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
