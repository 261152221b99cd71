"""The web endpoints against an in-memory view, on a real aiohttp server."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp.test_utils import TestClient, TestServer

from footfall.processor.web import build_web_app

ADMIN = {"Authorization": "Bearer t0k"}
READ = {"Authorization": "Bearer r3ad"}


class MemoryView:
    """An in-memory stand-in for a running processor (what the endpoints read)."""

    def __init__(
        self,
        token: str | None,
        ready: bool,
        *,
        read_token: str | None = None,
        peers: list[str] | None = None,
        visitors: list[dict[str, Any]] | None = None,
        letters: list[dict[str, Any]] | None = None,
    ) -> None:
        self.admin_token = token
        self.read_token = read_token
        self.ready = ready
        self.own_url = "http://127.0.0.1:1"
        self.peers = ["http://127.0.0.1:9"] if peers is None else peers  # :9 does not answer
        self.visitors = visitors
        self.letters = letters
        self.sent: list[tuple[str, str]] = []

    def peer_urls(self) -> list[str]:
        return [self.own_url, *self.peers]

    def local_visitors(self) -> list[dict[str, Any]]:
        if self.visitors is not None:
            return self.visitors
        return [
            {"visitor_id": "b", "started_at": "2026-03-02T10:05:00.000Z"},
            {"visitor_id": "a", "started_at": "2026-03-02T10:00:00.000Z"},
        ]

    def local_rules(self) -> list[dict[str, Any]]:
        return [{"id": "r", "fired": 2, "suppressed": 1}]

    def dead_letters(self, limit: int) -> list[dict[str, Any]]:
        if self.letters is not None:
            return self.letters[:limit]
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


DATA_PATHS = (
    "/api/visitors",
    "/api/local/visitors",
    "/api/rules",
    "/api/local/rules",
    "/api/dead-letters",
    "/api/visitors/a/explain",
)


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
    view = MemoryView(token="t0k", ready=True, read_token="r3ad")
    client = await _client(view)
    try:
        assert (await client.post("/api/visitors/a/purge")).status == 401
        refused = await client.post("/api/visitors/a/purge", headers=READ)
        assert refused.status == 403  # the read token only reads
        assert "FOOTFALL_ADMIN_TOKEN" in (await refused.json())["error"]
        ok = await client.post("/api/visitors/a/purge", headers=ADMIN)
        assert ok.status == 202
        assert (await client.post("/api/visitors/a/explode", headers=ADMIN)).status in (404, 405)
        assert (await client.get("/readyz")).status == 200
    finally:
        await client.close()
    assert view.sent == [("purge", "a")]


async def test_lists_merge_and_report_unreachable_peers() -> None:
    client = await _client(MemoryView(token="t0k", ready=True))
    try:
        visitors = await (await client.get("/api/visitors", headers=ADMIN)).json()
        assert [v["visitor_id"] for v in visitors["visitors"]] == ["a", "b"]  # by start
        assert visitors["unreachable"] == ["http://127.0.0.1:9"]
        rules = await (await client.get("/api/rules", headers=ADMIN)).json()
        assert rules["rules"] == [{"id": "r", "fired": 2, "suppressed": 1}]
        letters = await (await client.get("/api/dead-letters?limit=3", headers=ADMIN)).json()
        assert len(letters["dead_letters"]) == 3
        assert (await client.get("/api/dead-letters?limit=lots", headers=ADMIN)).status == 400
        assert (await client.get("/metrics")).status == 200
        assert (await client.get("/")).status == 200
    finally:
        await client.close()


async def test_data_endpoints_need_the_read_or_admin_token() -> None:
    client = await _client(MemoryView(token="t0k", ready=True, read_token="r3ad", peers=[]))
    try:
        for path in DATA_PATHS:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "r3ad"}):
                response = await client.get(path, headers=headers)
                assert response.status == 401, (path, headers)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert "FOOTFALL_READ_TOKEN" in (await response.json())["error"]
                assert "visitor_id" not in await response.text()
        for headers in (READ, ADMIN, {"Authorization": "bearer r3ad"}):
            for path in DATA_PATHS[:5]:
                assert (await client.get(path, headers=headers)).status == 200, (path, headers)
        # the page itself, its files, the probes and the metrics stay open
        for path in ("/", "/static/whos-on.js", "/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).status == 200, path
    finally:
        await client.close()


async def test_data_endpoints_are_refused_when_no_token_is_configured() -> None:
    client = await _client(MemoryView(token=None, ready=True, peers=[]))
    try:
        for path in DATA_PATHS:
            response = await client.get(path, headers={"Authorization": "Bearer anything"})
            assert response.status == 403, path
            assert "FOOTFALL_READ_TOKEN" in (await response.json())["error"]
    finally:
        await client.close()


async def _raw_status(client: TestClient, request: bytes) -> int:
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


async def test_an_authorization_header_that_is_not_utf8_is_refused_not_a_crash() -> None:
    view = MemoryView(token="t0k", ready=True, read_token="r3ad", peers=[])
    client = await _client(view)
    try:
        for method, path in (("POST", "/api/visitors/a/remove"), ("GET", "/api/visitors")):
            request = (
                f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n".encode()
                + b"Authorization: Bearer \xff\xfe\r\nContent-Length: 0\r\n"
                + b"Connection: close\r\n\r\n"
            )
            assert await _raw_status(client, request) == 401, path
    finally:
        await client.close()
    assert view.sent == []


async def test_peers_are_asked_with_the_token() -> None:
    peer_view = MemoryView(
        token="t0k", ready=True, read_token="r3ad", peers=[],
        visitors=[{"visitor_id": "p", "started_at": "2026-03-02T09:00:00.000Z"}],
    )  # fmt: skip
    peer = await _client(peer_view)
    peer_url = str(peer.make_url("")).rstrip("/")
    peer_view.own_url = peer_url
    client = await _client(MemoryView(token="t0k", ready=True, read_token="r3ad", peers=[peer_url]))
    try:
        assert (await peer.get("/api/local/visitors")).status == 401
        body = await (await client.get("/api/visitors", headers=READ)).json()
        assert body["unreachable"] == []
        assert [v["visitor_id"] for v in body["visitors"]] == ["p", "a", "b"]
        assert body["instances"] == 2
    finally:
        await client.close()
        await peer.close()


async def test_visitor_pages_are_served_without_query_string_or_user_info() -> None:
    rows = [
        {"visitor_id": "q", "started_at": "2026-03-02T10:00:00.000Z",
         "current_page": "https://shop.example.com/reset?token=abc&email=ann%40example.com#top"},
        {"visitor_id": "u", "started_at": "2026-03-02T10:01:00.000Z",
         "current_page": "https://ann:pw@shop.example.com/account"},
        {"visitor_id": "v", "started_at": "2026-03-02T10:02:00.000Z",
         "current_page": "/checkout/step-2?coupon=X1"},
        {"visitor_id": "n", "started_at": "2026-03-02T10:03:00.000Z", "current_page": None},
    ]  # fmt: skip
    client = await _client(MemoryView(token="t0k", ready=True, peers=[], visitors=rows))
    try:
        for path in ("/api/visitors", "/api/local/visitors"):
            body = await (await client.get(path, headers=ADMIN)).json()
            pages = {v["visitor_id"]: v["current_page"] for v in body["visitors"]}
            assert pages == {
                "q": "https://shop.example.com/reset",
                "u": "https://shop.example.com/account",
                "v": "/checkout/step-2",
                "n": None,
            }
    finally:
        await client.close()


async def test_dead_letters_are_served_with_secrets_masked() -> None:
    command = {
        "command_id": "c1",
        "action": {"kind": "call_web_page", "params": {
            "url": "https://hooks.example.com/x?api_key=K1ey",
            "headers": {"X-Api-Key": "h3ader"}, "body": {"password": "hunter2"}}},
    }  # fmt: skip
    event = orjson.dumps({"type": "page_view", "url": "https://a.example.com/?session=s3ss"})
    letters = [
        {"reason": "action_failed", "error": "HTTP 404 from https://u:pw0rd@x.example.com/",
         "source": {"topic": "actions", "partition": 0, "offset": 1}, "payload": command},
        {"reason": "missing_field", "error": "visitor_id is missing",
         "source": {"topic": "visitor-events", "partition": 0, "offset": 2},
         "payload": event.decode()},
        {"reason": "not_json", "error": "not JSON", "payload": "oops?token=t0ken&x=1"},
    ]  # fmt: skip
    client = await _client(MemoryView(token="t0k", ready=True, peers=[], letters=letters))
    try:
        response = await client.get("/api/dead-letters", headers=ADMIN)
        text = await response.text()
        for secret in ("K1ey", "h3ader", "hunter2", "pw0rd", "s3ss", "t0ken"):
            assert secret not in text, secret
        served = (await response.json())["dead_letters"]
        assert served[0]["source"] == letters[0]["source"]
        assert orjson.loads(served[1]["payload"])["type"] == "page_view"
        assert served[2]["payload"].endswith("&x=1")
    finally:
        await client.close()
