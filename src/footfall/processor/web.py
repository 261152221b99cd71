"""The processor's HTTP endpoints (SPEC §10), an aiohttp application.

Each instance serves the visitors of the partitions it owns at ``/api/local/visitors``
(and its rule counters at ``/api/local/rules``); the public ``/api/visitors`` and
``/api/rules`` merge those over every instance of the consumer group, found through
the URLs the instances advertise in the group's assignment (see
docs/architecture.md).

Who may read what (docs/operations.md): everything under ``/api/`` needs
``Authorization: Bearer <token>``. Reads (GET) take ``FOOTFALL_READ_TOKEN`` or
``FOOTFALL_ADMIN_TOKEN``; anything else (remove, purge) only ``FOOTFALL_ADMIN_TOKEN``.
The check is one middleware on the ``/api/`` prefix, so an endpoint added there is
guarded without further ado. ``/``, ``/static/``, ``/metrics``, ``/healthz``,
``/readyz`` and ``/readyz/web`` stay open: they carry no visitor data. An instance asks
its peers with its own token. Page URLs are served without query string, fragment or
user info, and dead letters with credentials masked (:mod:`footfall.redaction`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import orjson
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST
from yarl import URL

from footfall.processor.who_is_on import sort_rows
from footfall.redaction import redact_text, redact_value

__all__ = ["ProcessorView", "build_web_app"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
PEER_TIMEOUT = 3.0
MAX_DEAD_LETTERS = 1000
API_PREFIX = "/api/"
READ_METHODS = frozenset({"GET", "HEAD"})
CHALLENGE = 'Bearer realm="footfall"'


class ProcessorView(Protocol):
    """What the web endpoints need from a running processor."""

    @property
    def own_url(self) -> str: ...

    def peer_urls(self) -> list[str]: ...

    def local_visitors(self) -> list[dict[str, Any]]: ...

    def local_rules(self) -> list[dict[str, Any]]: ...

    def dead_letters(self, limit: int) -> list[dict[str, Any]]: ...

    def metrics_text(self) -> bytes: ...

    def readiness(self) -> dict[str, Any]: ...

    @property
    def admin_token(self) -> str | None: ...

    @property
    def read_token(self) -> str | None: ...

    async def send_control(self, kind: str, visitor_id: str) -> dict[str, Any]: ...


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def build_web_app(view: ProcessorView) -> web.Application:
    """The aiohttp application serving ``view``."""
    handlers = _Handlers(view)
    app = web.Application(middlewares=[handlers.guard])
    app.router.add_get("/", handlers.index)
    app.router.add_get("/healthz", handlers.healthz)
    app.router.add_get("/readyz", handlers.readyz)
    app.router.add_get("/readyz/web", handlers.readyz_web)
    app.router.add_get("/metrics", handlers.metrics)
    app.router.add_get("/api/visitors", handlers.visitors)
    app.router.add_get("/api/local/visitors", handlers.local_visitors)
    app.router.add_post("/api/visitors/{visitor_id}/{action:remove|purge}", handlers.control)
    app.router.add_get("/api/rules", handlers.rules)
    app.router.add_get("/api/local/rules", handlers.local_rules)
    app.router.add_get("/api/dead-letters", handlers.dead_letters)
    if STATIC_DIR.is_dir():
        app.router.add_static("/static/", STATIC_DIR)
    app.on_cleanup.append(handlers.close)
    return app


class _Handlers:
    def __init__(self, view: ProcessorView) -> None:
        self.view = view
        self._session: aiohttp.ClientSession | None = None

    async def close(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse ``/api/`` requests without the token their method needs."""
        if request.path.startswith(API_PREFIX):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return await handler(request)

    def _refusal(self, request: web.Request) -> web.Response | None:
        admin = self.view.admin_token
        if request.method in READ_METHODS:
            accepted = [t for t in (self.view.read_token, admin) if t]
            if not accepted:
                return _json(
                    {
                        "error": "the data endpoints are disabled: set FOOTFALL_READ_TOKEN "
                        "(or FOOTFALL_ADMIN_TOKEN) on the processor"
                    },
                    status=403,
                )
            if _token_in(_bearer(request), accepted):
                return None
            return _unauthorized(
                "missing or wrong 'Authorization: Bearer <FOOTFALL_READ_TOKEN or "
                "FOOTFALL_ADMIN_TOKEN>'"
            )
        if not admin:
            return _json(
                {"error": "mutating endpoints are disabled: set FOOTFALL_ADMIN_TOKEN"},
                status=403,
            )
        supplied = _bearer(request)
        if _token_in(supplied, [admin]):
            return None
        read = self.view.read_token
        if read and _token_in(supplied, [read]):
            return _json(
                {"error": "the read token only reads: this needs FOOTFALL_ADMIN_TOKEN"},
                status=403,
            )
        return _unauthorized("missing or wrong 'Authorization: Bearer <FOOTFALL_ADMIN_TOKEN>'")

    async def index(self, _request: web.Request) -> web.StreamResponse:
        page = STATIC_DIR / "index.html"
        if page.is_file():
            return web.FileResponse(page)
        return web.Response(
            text="footfall processor: the Who's On page is not installed; "
            "see /api/visitors for the list as JSON.\n",
            content_type="text/plain",
        )

    async def healthz(self, _request: web.Request) -> web.Response:
        return _json({"status": "alive"})

    async def readyz(self, _request: web.Request) -> web.Response:
        state = self.view.readiness()
        return _json(state, status=200 if state.get("ready") else 503)

    async def readyz_web(self, _request: web.Request) -> web.Response:
        """Ready to serve the page and the API (the Service's readiness): unlike
        ``/readyz`` it stays 200 through rebalances once the instance has started."""
        state = self.view.readiness()
        return _json(state, status=200 if state.get("serving") else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        response = web.Response(body=self.view.metrics_text())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def local_visitors(self, _request: web.Request) -> web.Response:
        rows = [public_row(row) for row in self.view.local_visitors()]
        return _json({"visitors": rows, "instance": self.view.own_url})

    async def local_rules(self, _request: web.Request) -> web.Response:
        return _json({"rules": self.view.local_rules(), "instance": self.view.own_url})

    async def visitors(self, _request: web.Request) -> web.Response:
        parts, unreachable = await self._gather(
            "/api/local/visitors", lambda: {"visitors": self.view.local_visitors()}
        )
        rows: dict[str, dict[str, Any]] = {}
        for part in parts:
            for row in part.get("visitors", []):
                rows[row["visitor_id"]] = public_row(row)
        visitors = sort_rows(rows.values())
        return _json(
            {
                "visitors": visitors,
                "count": len(visitors),
                "instances": len(parts),
                "unreachable": unreachable,
            }
        )

    async def rules(self, _request: web.Request) -> web.Response:
        parts, unreachable = await self._gather(
            "/api/local/rules", lambda: {"rules": self.view.local_rules()}
        )
        merged: dict[str, dict[str, Any]] = {}
        for part in parts:
            for rule in part.get("rules", []):
                seen = merged.get(rule["id"])
                if seen is None:
                    merged[rule["id"]] = dict(rule)
                else:
                    seen["fired"] += rule.get("fired", 0)
                    seen["suppressed"] += rule.get("suppressed", 0)
        rules = sorted(merged.values(), key=lambda rule: rule["id"])
        return _json({"rules": rules, "instances": len(parts), "unreachable": unreachable})

    async def dead_letters(self, request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", "100"))
        except ValueError:
            return _json({"error": "limit must be a whole number"}, status=400)
        limit = max(0, min(limit, MAX_DEAD_LETTERS))
        letters = [redact_dead_letter(letter) for letter in self.view.dead_letters(limit)]
        return _json({"dead_letters": letters})

    async def control(self, request: web.Request) -> web.Response:
        # the guard has checked the admin token
        visitor_id = request.match_info["visitor_id"]
        if not 1 <= len(visitor_id) <= 128:
            return _json({"error": "visitor id must be 1 to 128 characters"}, status=400)
        sent = await self.view.send_control(request.match_info["action"], visitor_id)
        return _json(sent, status=202)

    async def _gather(
        self, path: str, local: Callable[[], dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """``local()`` for this instance plus ``path`` fetched from every peer."""
        own = self.view.own_url.rstrip("/")
        peers = [url.rstrip("/") for url in self.view.peer_urls() if url.rstrip("/") != own]
        fetches: list[Awaitable[dict[str, Any]]] = [self._fetch(f"{url}{path}") for url in peers]
        results = await asyncio.gather(*fetches, return_exceptions=True)
        parts = [local()]
        unreachable = []
        for url, result in zip(peers, results, strict=True):
            if isinstance(result, aiohttp.ClientResponseError) and result.status in (401, 403):
                log.warning(
                    "peer %s refused %s (HTTP %d): give every instance the same "
                    "FOOTFALL_READ_TOKEN and FOOTFALL_ADMIN_TOKEN",
                    url,
                    path,
                    result.status,
                )
                unreachable.append(url)
            elif isinstance(result, BaseException):
                log.warning("peer %s did not answer %s: %s", url, path, result)
                unreachable.append(url)
            else:
                parts.append(result)
        return parts, unreachable

    async def _fetch(self, url: str) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PEER_TIMEOUT))
        token = self.view.read_token or self.view.admin_token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self._session.get(url, headers=headers) as response:
            response.raise_for_status()
            data = orjson.loads(await response.read())
        if not isinstance(data, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return data


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """A Who's On row as the API serves it: the page without query, fragment, user info."""
    page = row.get("current_page")
    if not isinstance(page, str):
        return row
    return {**row, "current_page": page_without_query(page)}


_QUERY_OR_FRAGMENT = re.compile(r"[?#]")


def page_without_query(page: str) -> str:
    """``page`` cut before its query string or fragment, and without user info."""
    cut = _QUERY_OR_FRAGMENT.split(page, maxsplit=1)[0]
    if "@" not in cut:
        return cut
    try:
        parsed = URL(cut)
    except (ValueError, TypeError):
        return redact_text(cut)
    if parsed.is_absolute() and (parsed.user is not None or parsed.password is not None):
        return str(parsed.with_user(None))
    return cut


def redact_dead_letter(letter: dict[str, Any]) -> dict[str, Any]:
    """A dead letter as the API serves it: credentials in its error and payload masked.

    A payload that is JSON text stays text (re-encoded only when something was masked);
    a base64 payload is left as it is.
    """
    served = dict(letter)
    error = served.get("error")
    if isinstance(error, str):
        served["error"] = redact_text(error)
    payload = served.get("payload")
    if isinstance(payload, str) and served.get("payload_encoding") != "base64":
        served["payload"] = _redact_payload_text(payload)
    elif isinstance(payload, dict | list):
        served["payload"] = redact_value(payload)
    return served


def _redact_payload_text(text: str) -> str:
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return redact_text(text)
    masked = redact_value(parsed)
    if masked == parsed:
        return text
    return orjson.dumps(masked).decode()


def _bearer(request: web.Request) -> bytes | None:
    """The credential of an ``Authorization: Bearer <credential>`` header, as bytes.

    A header that is not UTF-8 (aiohttp keeps such bytes as lone surrogates) or names
    another scheme gives None: it is refused like a missing one.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credential = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    try:
        return credential.strip().encode("utf-8")
    except UnicodeEncodeError:
        return None


def _token_in(supplied: bytes | None, tokens: list[str]) -> bool:
    """Whether ``supplied`` is one of ``tokens``, in time independent of where they differ.

    Both sides are hashed first so that the comparison does not reveal the length of
    the token either; every token is compared, none is skipped.
    """
    if supplied is None:
        return False
    digest = hashlib.sha256(supplied).digest()
    found = False
    for token in tokens:
        expected = hashlib.sha256(token.encode("utf-8")).digest()
        found |= hmac.compare_digest(digest, expected)
    return found


def _unauthorized(message: str) -> web.Response:
    response = _json({"error": message}, status=401)
    response.headers["WWW-Authenticate"] = CHALLENGE
    return response
