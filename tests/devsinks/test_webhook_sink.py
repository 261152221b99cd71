"""The webhook sink records real HTTP requests, checks signatures and lists what it got."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import aiosmtplib
import orjson
from standardwebhooks import Webhook

from footfall.devsinks import SmtpSink, WebhookSink
from footfall.devsinks.webhook import verify_standard_webhook

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


async def test_records_requests_in_memory_and_as_json_lines(tmp_path: Path) -> None:
    log = tmp_path / "hooks" / "requests.jsonl"
    sink = WebhookSink(log)
    await sink.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{sink.url}/crm/visitor?x=1",
                json={"visitor_id": "v-1"},
                headers={"Idempotency-Key": "abc"},
            ) as response:
                assert response.status == 200
                assert (await response.json()) == {"ok": True, "number": 1}
            async with http.get(f"{sink.url}/ping") as response:
                assert response.status == 200
            async with http.get(f"{sink.url}/_sink/requests?limit=1") as response:
                listing = await response.json()
            async with http.get(f"{sink.url}/_sink/") as response:
                page = await response.text()
    finally:
        await sink.stop()
    first, second = sink.requests
    assert (first.method, first.path, first.query) == ("POST", "/crm/visitor", "x=1")
    assert first.json == {"visitor_id": "v-1"}
    assert first.headers["idempotency-key"] == "abc"
    assert first.signature_valid is None
    assert (second.method, second.path) == ("GET", "/ping")
    assert listing["count"] == 2
    assert [r["path"] for r in listing["requests"]] == ["/ping"]
    assert "/crm/visitor" in page and "Webhook calls (2)" in page
    lines = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    assert [line["path"] for line in lines] == ["/crm/visitor", "/ping"]
    assert lines[0]["json"] == {"visitor_id": "v-1"}


async def test_status_paths_answer_with_that_status() -> None:
    sink = WebhookSink()
    await sink.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{sink.url}/status/503/flaky", json={}) as response:
                assert response.status == 503
            async with http.post(f"{sink.url}/status/404", json={}) as response:
                assert response.status == 404
    finally:
        await sink.stop()
    assert [r.path for r in sink.requests] == ["/status/503/flaky", "/status/404"]


async def test_checks_standard_webhooks_signatures() -> None:
    sink = WebhookSink(secrets=(SECRET,))
    await sink.start()
    body = orjson.dumps({"command": {"command_id": "c-1"}, "payload": {"a": 1}}).decode()
    signer = Webhook(SECRET)
    now = datetime.now(UTC)
    good = {
        "webhook-id": "c-1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": "v1,AAAA " + signer.sign("c-1", now, body),
        "content-type": "application/json",
    }
    bad = dict(good, **{"webhook-signature": "v1,AAAA"})
    try:
        async with aiohttp.ClientSession() as http:
            for headers in (good, bad):
                async with http.post(f"{sink.url}/provider", data=body, headers=headers) as r:
                    assert r.status == 200
    finally:
        await sink.stop()
    assert [r.signature_valid for r in sink.requests] == [True, False]
    # the library used by receivers agrees with the sink's own check
    signer.verify(body, good)
    assert verify_standard_webhook(SECRET, good, body.encode())
    assert not verify_standard_webhook(SECRET, good, body.encode() + b" ")


async def test_wait_for_and_mail_listing(tmp_path: Path) -> None:
    mail = SmtpSink()
    sink = WebhookSink(mail_sink=mail)
    smtp_host, smtp_port = await mail.start()
    await sink.start()
    try:
        waiter = asyncio.create_task(sink.wait_for(lambda r: r.path == "/late"))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        message = "Subject: hello\r\nFrom: a@example.com\r\nTo: b@example.com\r\n\r\nhi\r\n"
        await aiosmtplib.send(
            message,
            sender="a@example.com",
            recipients=["b@example.com"],
            hostname=smtp_host,
            port=smtp_port,
        )
        async with aiohttp.ClientSession() as http:
            async with http.put(f"{sink.url}/late", data=b"not json") as response:
                assert response.status == 200
            async with http.get(f"{sink.url}/_sink/mails") as response:
                mails = await response.json()
        async with asyncio.timeout(5):
            found = await waiter
    finally:
        await sink.stop()
        await mail.stop()
    assert found.method == "PUT" and found.json is None and found.body == "not json"
    assert mails["count"] == 1
    assert mails["mails"][0]["subject"] == "hello"
    assert mails["mails"][0]["rcpt_tos"] == ["b@example.com"]
