"""A webhook sink: records every HTTP request it gets and lists them.

Any method on any path outside ``/_sink/`` is recorded and answered ``200`` with
``{"ok": true, "number": N}``; ``/status/<code>/...`` answers with that status instead
(to watch workers retry 5xx and dead-letter 4xx). Standard Webhooks signatures are
checked when the sink knows the secret (``signature_valid`` in the record).

``GET /_sink/`` is an HTML listing, ``GET /_sink/requests?limit=N`` the JSON records,
``GET /_sink/mails`` the mails of an attached :class:`SmtpSink`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from footfall.devsinks.mail import SmtpSink

__all__ = ["ReceivedRequest", "WebhookSink", "verify_standard_webhook"]

_MAX_BODY = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request the sink recorded."""

    number: int
    received_at: datetime
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    json: Any
    signature_valid: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "received_at": self.received_at.isoformat(),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "json": self.json,
            "signature_valid": self.signature_valid,
        }


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Whether one of the ``webhook-signature`` signatures matches (Standard Webhooks)."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        return False
    key_text = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(key_text)
    except ValueError:
        return False
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for item in signatures.split():
        version, _, value = item.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


class WebhookSink:
    """An in-process aiohttp server recording requests (memory + optional JSON lines file)."""

    def __init__(
        self,
        log_file: Path | None = None,
        *,
        secrets: tuple[str, ...] = (),
        mail_sink: SmtpSink | None = None,
        keep: int = 10_000,
    ) -> None:
        self._log_file = log_file
        self._secrets = secrets
        self._mail_sink = mail_sink
        self._keep = keep
        self._requests: list[ReceivedRequest] = []
        self._count = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._address: tuple[str, int] | None = None

    @property
    def requests(self) -> list[ReceivedRequest]:
        """The requests recorded so far (the most recent ``keep``), oldest first."""
        return list(self._requests)

    @property
    def received_count(self) -> int:
        return self._count

    @property
    def address(self) -> tuple[str, int]:
        if self._address is None:
            raise RuntimeError("the webhook sink is not started")
        return self._address

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_get("/_sink/", self._listing)
        app.router.add_get("/_sink/requests", self._requests_json)
        app.router.add_get("/_sink/mails", self._mails_json)
        app.router.add_route("*", "/{tail:.*}", self._record)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on ``host:port`` (0 picks a free port); return the address."""
        if self._log_file is not None:
            self._log_file.parent.mkdir(parents=True, exist_ok=True)
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockname = self._runner.addresses[0]  # the bound port when 0 was asked for
        self._address = (str(sockname[0]), int(sockname[1]))
        return self._address

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for(self, predicate: Callable[[ReceivedRequest], bool]) -> ReceivedRequest:
        """Wait until a recorded request satisfies ``predicate`` (bound it with asyncio.timeout)."""
        async with self._changed:
            while True:
                for request in self._requests:
                    if predicate(request):
                        return request
                await self._changed.wait()

    async def _record(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            parsed: Any = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        signature_valid = None
        if "webhook-signature" in headers and self._secrets:
            signature_valid = any(
                verify_standard_webhook(secret, headers, body) for secret in self._secrets
            )
        self._count += 1
        record = ReceivedRequest(
            number=self._count,
            received_at=datetime.now(UTC),
            method=request.method,
            path=request.path,
            query=request.query_string,
            headers=headers,
            body=body.decode("utf-8", errors="replace"),
            json=parsed,
            signature_valid=signature_valid,
        )
        if self._log_file is not None:
            line = orjson.dumps(record.to_json()) + b"\n"
            await asyncio.to_thread(_append, self._log_file, line)
        async with self._changed:
            self._requests.append(record)
            del self._requests[: max(0, len(self._requests) - self._keep)]
            self._changed.notify_all()
        status = _status_from_path(request.path)
        answer = {"ok": 200 <= status < 300, "number": record.number}
        return web.json_response(answer, status=status)

    async def _requests_json(self, request: web.Request) -> web.Response:
        items = self._requests[-_limit(request) :]
        return web.json_response(
            {"count": self._count, "requests": [r.to_json() for r in items]},
            dumps=lambda obj: orjson.dumps(obj).decode(),
        )

    async def _mails_json(self, request: web.Request) -> web.Response:
        mails = [] if self._mail_sink is None else self._mail_sink.mails[-_limit(request) :]
        count = 0 if self._mail_sink is None else self._mail_sink.received_count
        return web.json_response(
            {"count": count, "mails": [m.summary() for m in mails]},
            dumps=lambda obj: orjson.dumps(obj).decode(),
        )

    async def _listing(self, request: web.Request) -> web.Response:
        rows = "".join(
            f"<tr><td>{r.number}</td><td>{r.received_at:%H:%M:%S}</td>"
            f"<td>{html.escape(r.method)}</td><td>{html.escape(r.path)}</td>"
            f"<td>{'' if r.signature_valid is None else r.signature_valid}</td>"
            f"<td><code>{html.escape(r.body[:300])}</code></td></tr>"
            for r in reversed(self._requests[-100:])
        )
        mails = [] if self._mail_sink is None else self._mail_sink.mails[-100:]
        mail_rows = "".join(
            f"<tr><td>{m.number}</td><td>{m.received_at:%H:%M:%S}</td>"
            f"<td>{html.escape(', '.join(m.rcpt_tos))}</td><td>{html.escape(m.subject)}</td>"
            f"<td><code>{html.escape(m.body[:300])}</code></td></tr>"
            for m in reversed(mails)
        )
        page = _PAGE.format(
            count=self._count,
            rows=rows,
            mail_count=0 if self._mail_sink is None else self._mail_sink.received_count,
            mail_rows=mail_rows,
        )
        return web.Response(text=page, content_type="text/html")


def _append(path: Path, line: bytes) -> None:
    with path.open("ab") as file:
        file.write(line)


def _limit(request: web.Request) -> int:
    try:
        return max(1, min(10_000, int(request.query.get("limit", "100"))))
    except ValueError:
        return 100


def _status_from_path(path: str) -> int:
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "status" and parts[1].isdigit():
        code = int(parts[1])
        if 200 <= code <= 599:
            return code
    return 200


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>footfall dev sinks</title>
<meta http-equiv="refresh" content="5">
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}}
code{{white-space:pre-wrap;font-size:.85em}}</style></head>
<body><h1>Webhook calls ({count})</h1>
<table><tr><th>#</th><th>time</th><th>method</th><th>path</th><th>signed ok</th>
<th>body</th></tr>{rows}</table>
<h1>Mails ({mail_count})</h1>
<table><tr><th>#</th><th>time</th><th>to</th><th>subject</th><th>body</th></tr>{mail_rows}</table>
</body></html>
"""
