"""The processor's HTTP endpoints (SPEC §10), an aiohttp application.

Each instance serves the visitors of the partitions it owns at ``/api/local/visitors``
(and its rule counters at ``/api/local/rules``); the public ``/api/visitors`` and
``/api/rules`` merge those over every instance of the consumer group, found through
the URLs the instances advertise in the group's assignment (see
docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from footfall.processor.who_is_on import sort_rows

__all__ = ["ProcessorView", "build_web_app"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
PEER_TIMEOUT = 3.0
MAX_DEAD_LETTERS = 1000


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

    async def send_control(self, kind: str, visitor_id: str) -> dict[str, Any]: ...


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def build_web_app(view: ProcessorView) -> web.Application:
    """The aiohttp application serving ``view``."""
    app = web.Application()
    handlers = _Handlers(view)
    app.router.add_get("/", handlers.index)
    app.router.add_get("/healthz", handlers.healthz)
    app.router.add_get("/readyz", handlers.readyz)
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

    async def metrics(self, _request: web.Request) -> web.Response:
        response = web.Response(body=self.view.metrics_text())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def local_visitors(self, _request: web.Request) -> web.Response:
        return _json({"visitors": self.view.local_visitors(), "instance": self.view.own_url})

    async def local_rules(self, _request: web.Request) -> web.Response:
        return _json({"rules": self.view.local_rules(), "instance": self.view.own_url})

    async def visitors(self, _request: web.Request) -> web.Response:
        parts, unreachable = await self._gather(
            "/api/local/visitors", lambda: {"visitors": self.view.local_visitors()}
        )
        rows: dict[str, dict[str, Any]] = {}
        for part in parts:
            for row in part.get("visitors", []):
                rows[row["visitor_id"]] = row
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
        return _json({"dead_letters": self.view.dead_letters(limit)})

    async def control(self, request: web.Request) -> web.Response:
        token = self.view.admin_token
        if not token:
            return _json(
                {"error": "mutating endpoints are disabled: set FOOTFALL_ADMIN_TOKEN"},
                status=403,
            )
        supplied = request.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            return _json(
                {"error": "missing or wrong 'Authorization: Bearer <FOOTFALL_ADMIN_TOKEN>'"},
                status=401,
            )
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
            if isinstance(result, BaseException):
                log.warning("peer %s did not answer %s: %s", url, path, result)
                unreachable.append(url)
            else:
                parts.append(result)
        return parts, unreachable

    async def _fetch(self, url: str) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PEER_TIMEOUT))
        async with self._session.get(url) as response:
            response.raise_for_status()
            data = orjson.loads(await response.read())
        if not isinstance(data, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return data
