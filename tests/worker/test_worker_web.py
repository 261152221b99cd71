from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client import CollectorRegistry, Counter

from footfall.worker.web import WebServer


@pytest.fixture
async def server() -> AsyncIterator[tuple[WebServer, dict[str, bool]]]:
    registry = CollectorRegistry()
    Counter("footfall_test_things", "things", registry=registry).inc(3)
    checks = {"partitions_assigned": False, "profiles_and_providers_caught_up": True}
    web = WebServer(registry, lambda: dict(checks))
    await web.start("127.0.0.1", 0)
    yield web, checks
    await web.stop()


async def test_endpoints(server) -> None:
    web, checks = server
    base = f"http://127.0.0.1:{web.port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/readyz") as resp:
            assert resp.status == 503
            body = await resp.json()
            assert body["checks"]["partitions_assigned"] is False
        checks["partitions_assigned"] = True
        async with http.get(f"{base}/readyz") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/metrics") as resp:
            assert resp.status == 200
            assert resp.content_type == "text/plain"
            assert "footfall_test_things_total 3.0" in await resp.text()
