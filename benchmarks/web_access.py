"""What the processor's token check and masking cost (docs/operations.md, "Who may read what").

    .venv/bin/python benchmarks/web_access.py [--letters 1000] [--visitors 10000]

Prints:

- the time of one token check for the right token, a wrong token of the same length
  differing in its first or its last character, and a wrong token of another length
  (constant time: the four should agree within noise);
- ``GET /api/dead-letters?limit=N`` over a real aiohttp server with N dead letters in
  the ring (half worker commands with headers and a body, half rejected events as
  JSON text of about 1 KB), and the masking alone per letter;
- ``GET /api/visitors`` with that many local rows (page URLs with query strings).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from footfall.processor.web import _token_in, build_web_app, redact_dead_letter

TOKEN = "k" * 43  # as long as secrets.token_urlsafe(32)
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


class _View:
    def __init__(self, letters: list[dict[str, Any]], visitors: list[dict[str, Any]]) -> None:
        self.own_url = "http://127.0.0.1:1"
        self.admin_token = TOKEN
        self.read_token: str | None = None
        self._letters = letters
        self._visitors = visitors

    def peer_urls(self) -> list[str]:
        return []

    def local_visitors(self) -> list[dict[str, Any]]:
        return self._visitors

    def local_rules(self) -> list[dict[str, Any]]:
        return []

    def dead_letters(self, limit: int) -> list[dict[str, Any]]:
        return self._letters[:limit]

    def metrics_text(self) -> bytes:
        return b""

    def readiness(self) -> dict[str, Any]:
        return {"ready": True}

    async def send_control(self, kind: str, visitor_id: str) -> dict[str, Any]:
        return {}


def _letters(count: int) -> list[dict[str, Any]]:
    letters: list[dict[str, Any]] = []
    for n in range(count):
        if n % 2:
            command = {
                "command_id": f"{n:040d}",
                "rule": {"id": "crm", "name": "CRM", "version": "v1", "owner": {"role": "admin"}},
                "action": {"index": 0, "kind": "call_web_page", "params": {
                    "url": f"https://crm.example.com/hook?api_key=k{n}&visitor=v-{n}",
                    "method": "POST",
                    "headers": {"X-Api-Key": "secret", "Accept": "application/json"},
                    "body": {"visitor": f"v-{n}", "password": "pw", "pages": ["/a", "/b"]}}},
                "visitor_id": f"v-{n}",
                "facts": {"current_page": f"https://shop.example.com/p?session={n}", "hits": 3},
            }  # fmt: skip
            letters.append({"reason": "retries_exhausted", "error": "HTTP 503", "payload": command})
        else:
            event = {
                "type": "page_view", "visitor_id": f"v-{n}", "time": "bad",
                "url": f"https://shop.example.com/pricing?utm_source=mail&token=t{n}",
                "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 " + "x" * 700,
                "customer": {"name": "Ann", "email": "ann@example.com"},
            }  # fmt: skip
            payload = orjson.dumps(event).decode()
            letters.append({"reason": "bad_time", "error": "bad time", "payload": payload})
    return letters


def _visitors(count: int) -> list[dict[str, Any]]:
    return [
        {
            "visitor_id": f"v-{n}",
            "status": "browsing",
            "started_at": "2026-12-03T10:00:00.000Z",
            "duration_minutes": 1.5,
            "hits": 3,
            "idle_minutes": 0.2,
            "country": "DE",
            "current_page": f"https://shop.example.com/p/{n}?utm_source=mail&session=s{n}",
            "customer_name": None,
        }
        for n in range(count)
    ]


def _check_times() -> dict[str, float]:
    cases = {
        "right token": TOKEN.encode(),
        "wrong first character": ("x" + TOKEN[1:]).encode(),
        "wrong last character": (TOKEN[:-1] + "x").encode(),
        "wrong length": b"short",
    }
    rounds = 100_000
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(7):
        for name, supplied in cases.items():
            began = time.perf_counter()
            for _ in range(rounds):
                _token_in(supplied, [TOKEN])
            results[name].append((time.perf_counter() - began) / rounds * 1e9)
    return {name: statistics.median(times) for name, times in results.items()}


async def _latency(
    client: TestClient[web.Request, web.Application], path: str, times: int = 20
) -> tuple[float, int]:
    spent: list[float] = []
    size = 0
    for _ in range(times):
        began = time.perf_counter()
        response = await client.get(path, headers=HEADERS)
        body = await response.read()
        spent.append(time.perf_counter() - began)
        assert response.status == 200, body[:200]
        size = len(body)
    return statistics.median(spent) * 1000, size


async def _main(letters: int, visitors: int) -> None:
    for name, ns in _check_times().items():
        print(f"token check, {name:<22} {ns:8.0f} ns")
    ring = _letters(letters)
    began = time.perf_counter()
    for letter in ring:
        redact_dead_letter(letter)
    per_letter = (time.perf_counter() - began) / len(ring) * 1e6
    print(f"masking one dead letter (mean over {len(ring)})  {per_letter:8.1f} µs")
    app: web.Application = build_web_app(_View(ring, _visitors(visitors)))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        ms, size = await _latency(client, f"/api/dead-letters?limit={letters}")
        print(f"GET /api/dead-letters?limit={letters}: {ms:.1f} ms median, {size / 1e6:.2f} MB")
        ms, size = await _latency(client, "/api/dead-letters?limit=50")
        print(f"GET /api/dead-letters?limit=50 (the page's poll): {ms:.1f} ms median")
        ms, size = await _latency(client, "/api/visitors")
        print(f"GET /api/visitors with {visitors} rows: {ms:.1f} ms median, {size / 1e6:.2f} MB")
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--visitors", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(_main(args.letters, args.visitors))


if __name__ == "__main__":
    main()
