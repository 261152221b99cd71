"""The processor's web API, ticks and control on a real broker: Who's On, remove/purge,
idle removal, rules counters, dead letters, metrics and probes, and who may read them."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import orjson
import pytest

from footfall.admin.config_push import publish, rule_record
from footfall.cli.main import main as footfall_main
from footfall.engine.state import VisitorState
from footfall.events import format_time
from footfall.processor.service import Processor
from footfall.processor.testing import TopicCollector, fast_options, produce
from footfall.rules import compile_rule
from footfall.settings import Settings

pytestmark = pytest.mark.integration

TOKEN = "s3cret-token"
READ_TOKEN = "r3ad-token"
READ = {"Authorization": f"Bearer {READ_TOKEN}"}


def _rules() -> list[dict[str, object]]:
    return [
        {
            "id": "long-stay",
            "name": "Stayed a little",
            "event": "online_activity",
            "when": {"duration_minutes": {"gte": 0.03}},
            "actions": [{"kind": "log_to_file", "file": "stay.log"}],
        },
        {
            "id": "removed",
            "name": "Removed",
            "event": "online_visitor_removed",
            "actions": [{"kind": "log_to_file", "file": "removed.log"}],
        },
        {
            "id": "purged",
            "name": "Purged",
            "event": "online_visitor_purged",
            "actions": [{"kind": "log_to_file", "file": "purged.log"}],
        },
    ]


def _view(visitor: str, at: float, country: str = "DE") -> bytes:
    return orjson.dumps(
        {
            "type": "page_view",
            "visitor_id": visitor,
            "time": format_time(at),
            "url": f"https://example.com/{visitor}?utm_source=mail&reset_token=rt-{visitor}",
            "country": country,
            "customer": {"name": f"Name {visitor}"},
        }
    )


async def _get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> tuple[int, object]:
    async with session.get(url, headers=READ if headers is None else headers) as response:
        body = await response.read()
        try:
            return response.status, orjson.loads(body)
        except orjson.JSONDecodeError:
            return response.status, body.decode()


async def _eventually(check: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if await check():  # type: ignore[operator]
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def test_whos_on_ticks_control_and_endpoints(
    kafka_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = kafka_settings.with_overrides(
        web_port=0,
        web_host="127.0.0.1",
        tick=1.0,
        idle_timeout=6.0,
        admin_token=TOKEN,
        read_token=READ_TOKEN,
    )
    await publish(
        settings, settings.topic("rules"), [rule_record(compile_rule(r)) for r in _rules()]
    )
    actions = TopicCollector(settings, settings.topic("actions"))
    await actions.start()
    processor = Processor(settings, faust_options=fast_options())
    await processor.start()
    base = processor.own_url
    try:
        async with aiohttp.ClientSession() as session:
            assert (await _get(session, f"{base}/healthz", {}))[0] == 200

            async def ready() -> bool:
                status, body = await _get(session, f"{base}/readyz", {})
                return status == 200 and body["ready"] is True  # type: ignore[index]

            await _eventually(ready)
            now = time.time()
            await produce(
                settings,
                settings.topic("visitor-events"),
                [(v.encode(), _view(v, now)) for v in ("a", "b", "c")],
            )

            async def listed(ids: set[str]) -> bool:
                _, body = await _get(session, f"{base}/api/visitors")
                return {row["visitor_id"] for row in body["visitors"]} == ids  # type: ignore[index]

            await _eventually(lambda: listed({"a", "b", "c"}))
            _, body = await _get(session, f"{base}/api/visitors")
            row = body["visitors"][0]  # type: ignore[index]
            assert row["status"] == "browsing" and row["hits"] == 1 and row["country"] == "DE"
            assert row["customer_name"] == "Name a"
            assert row["current_page"] == "https://example.com/a"  # no query string

            # the lists need a token; the admin token reads too
            for path in ("/api/visitors", "/api/local/visitors", "/api/rules", "/api/dead-letters"):
                for headers in ({}, {"Authorization": "Bearer wrong"}):
                    status, refused = await _get(session, f"{base}{path}", headers)
                    assert status == 401, (path, headers)
                    assert "visitors" not in refused  # type: ignore[operator]
            admin = {"Authorization": f"Bearer {TOKEN}"}
            assert (await _get(session, f"{base}/api/visitors", admin))[0] == 200

            # ticks fire the duration rule once per visitor (rising edge)
            seen = await actions.wait_for(
                lambda cs: (
                    {c["visitor_id"] for c in cs if c["rule"]["id"] == "long-stay"}
                    == {"a", "b", "c"}
                ),
                30,
            )
            ticked = [c for c in seen if c["rule"]["id"] == "long-stay"]
            assert all(c["trigger"]["source"] == "tick" for c in ticked)

            # remove/purge need the token
            url = f"{base}/api/visitors/a/remove"
            async with session.post(url) as response:
                assert response.status == 401
            bad = {"Authorization": "Bearer wrong"}
            async with session.post(url, headers=bad) as response:
                assert response.status == 401
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with session.post(url, headers=auth) as response:
                assert response.status == 202
            async with session.post(f"{base}/api/visitors/b/purge", headers=auth) as response:
                assert response.status == 202
            await _eventually(lambda: listed({"c"}))
            done = await actions.wait_for(
                lambda cs: {c["rule"]["id"] for c in cs} >= {"removed", "purged"}, 20
            )
            removed = [c for c in done if c["rule"]["id"] == "removed"]
            assert [c["visitor_id"] for c in removed] == ["a"]
            assert removed[0]["facts"]["hits"] == 1  # the state from before the removal
            # a purge leaves only a tombstone: the id and the purge time, nothing else
            stored = processor.visitors.get("b")
            assert stored is not None
            tombstone = VisitorState.from_bytes(stored)
            assert tombstone.is_tombstone and tombstone.hits == 0
            assert tombstone.to_dict().keys() <= {"visitor_id", "purged_at", "latest"}
            assert "a" in processor.visitors

            # the command line lists the same visitors, with the token of its settings
            monkeypatch.delenv("FOOTFALL_READ_TOKEN", raising=False)
            monkeypatch.delenv("FOOTFALL_ADMIN_TOKEN", raising=False)
            listing = ["visitors", "list", "--url", base, "--json"]
            assert await asyncio.to_thread(footfall_main, listing) == 1
            monkeypatch.setenv("FOOTFALL_READ_TOKEN", READ_TOKEN)
            assert await asyncio.to_thread(footfall_main, listing) == 0

            # c goes idle and leaves the list at a tick
            await _eventually(lambda: listed(set()), 30)

            _, rules = await _get(session, f"{base}/api/rules")
            counts = {r["id"]: (r["fired"], r["suppressed"]) for r in rules["rules"]}  # type: ignore[index]
            assert counts == {"long-stay": (3, 0), "removed": (1, 0), "purged": (1, 0)}

            secretive = orjson.dumps(
                {
                    "type": "chat_bogus",
                    "visitor_id": "z",
                    "time": format_time(time.time()),
                    "url": "https://example.com/?api_key=k3y-secret",
                    "password": "pw-secret",
                }
            )
            await produce(
                settings,
                settings.topic("chat-events"),
                [(b"z", b"{broken"), (b"z", secretive)],
            )

            async def lettered() -> bool:
                _, body = await _get(session, f"{base}/api/dead-letters?limit=5")
                return len(body["dead_letters"]) == 2  # type: ignore[index]

            await _eventually(lettered)
            status, body = await _get(session, f"{base}/api/dead-letters?limit=5")
            letters = {letter["reason"]: letter for letter in body["dead_letters"]}  # type: ignore[index]
            assert letters["not_json"]["source"]["topic"] == settings.topic("chat-events")
            masked = letters["unknown_type"]["payload"]
            assert "chat_bogus" in masked
            assert "k3y-secret" not in masked and "pw-secret" not in masked
            assert (await _get(session, f"{base}/api/dead-letters?limit=x"))[0] == 400

            status, text = await _get(session, f"{base}/metrics", {})
            assert status == 200
            assert 'footfall_processor_events_total{type="page_view"} 3.0' in str(text)
            assert 'footfall_processor_rule_fired_total{rule="long-stay"} 3.0' in str(text)
            assert 'footfall_processor_dead_letters_total{reason="not_json"} 1.0' in str(text)
            assert "footfall_processor_tick_lag_seconds" in str(text)
            assert (await _get(session, f"{base}/", {}))[0] == 200
    finally:
        await processor.stop()
        await actions.stop()
