"""The web endpoints against an in-memory view, on a real aiohttp server."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from footfall.processor.web import build_web_app


class MemoryView:
    """An in-memory stand-in for a running processor (what the endpoints read)."""

    def __init__(self, token: str | None, ready: bool) -> None:
        self.admin_token = token
        self.ready = ready
        self.own_url = "http://127.0.0.1:1"
        self.sent: list[tuple[str, str]] = []

    def peer_urls(self) -> list[str]:
        return [self.own_url, "http://127.0.0.1:9"]  # the second one does not answer

    def local_visitors(self) -> list[dict[str, Any]]:
        return [
            {"visitor_id": "b", "started_at": "2026-03-02T10:05:00.000Z"},
            {"visitor_id": "a", "started_at": "2026-03-02T10:00:00.000Z"},
        ]

    def local_rules(self) -> list[dict[str, Any]]:
        return [{"id": "r", "fired": 2, "suppressed": 1}]

    def dead_letters(self, limit: int) -> list[dict[str, Any]]:
        return [{"reason": "not_json", "n": n} for n in range(limit)]

    def metrics_text(self) -> bytes:
        return b"# metrics\n"

    def readiness(self) -> dict[str, Any]:
        return {"ready": self.ready}

    async def send_control(self, kind: str, visitor_id: str) -> dict[str, Any]:
        self.sent.append((kind, visitor_id))
        return {"sent": kind, "visitor_id": visitor_id}


async def _client(view: MemoryView) -> TestClient:
    client = TestClient(TestServer(build_web_app(view)))
    await client.start_server()
    return client


async def test_mutations_are_refused_without_a_configured_token() -> None:
    view = MemoryView(token=None, ready=False)
    client = await _client(view)
    try:
        response = await client.post(
            "/api/visitors/a/remove", headers={"Authorization": "Bearer x"}
        )
        assert response.status == 403
        assert (await client.get("/readyz")).status == 503
        assert (await client.get("/healthz")).status == 200
    finally:
        await client.close()
    assert view.sent == []


async def test_token_checked_and_control_sent() -> None:
    view = MemoryView(token="t0k", ready=True)
    client = await _client(view)
    try:
        assert (await client.post("/api/visitors/a/purge")).status == 401
        ok = await client.post("/api/visitors/a/purge", headers={"Authorization": "Bearer t0k"})
        assert ok.status == 202
        assert (
            await client.post("/api/visitors/a/explode", headers={"Authorization": "Bearer t0k"})
        ).status in (404, 405)
        assert (await client.get("/readyz")).status == 200
    finally:
        await client.close()
    assert view.sent == [("purge", "a")]


async def test_lists_merge_and_report_unreachable_peers() -> None:
    client = await _client(MemoryView(token=None, ready=True))
    try:
        visitors = await (await client.get("/api/visitors")).json()
        assert [v["visitor_id"] for v in visitors["visitors"]] == ["a", "b"]  # by start
        assert visitors["unreachable"] == ["http://127.0.0.1:9"]
        rules = await (await client.get("/api/rules")).json()
        assert rules["rules"] == [{"id": "r", "fired": 2, "suppressed": 1}]
        letters = await (await client.get("/api/dead-letters?limit=3")).json()
        assert len(letters["dead_letters"]) == 3
        assert (await client.get("/api/dead-letters?limit=lots")).status == 400
        assert (await client.get("/metrics")).status == 200
        assert (await client.get("/")).status == 200
    finally:
        await client.close()
