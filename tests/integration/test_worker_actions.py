"""The worker against a real broker and real peers: every action kind end to end."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from footfall.devsinks.mail import SmtpSink
from footfall.settings import Settings, SmtpSettings
from footfall.worker.command import derive_id
from footfall.worker.service import Worker
from footfall.worker.testing import (
    build_command,
    eventually,
    produce_commands,
    read_topic,
)

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"integration provider secret").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the previous provider secret").decode()


@pytest.fixture
async def smtp(tmp_path: Path) -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    await sink.start()
    yield sink
    await sink.stop()


def worker_settings(settings: Settings, smtp: SmtpSink | None = None, **kw: Any) -> Settings:
    changes: dict[str, Any] = {
        "http_allowlist": ("127.0.0.1",),
        "retry_schedule": (0.3, 0.3),
        "web_port": 0,
        "web_host": "127.0.0.1",
        "worker_concurrency": 16,
    }
    if smtp is not None:
        host, port = smtp.address
        changes["smtp"] = SmtpSettings(host=host, port=port, mail_from="footfall@example.com")
    changes.update(kw)
    return settings.with_overrides(**changes)


@pytest.fixture
async def start_worker() -> AsyncIterator[Callable[..., Any]]:
    workers: list[Worker] = []

    async def start(settings: Settings, **kw: Any) -> Worker:
        worker = Worker(settings, grace=5.0, **kw)
        await worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        await worker.stop()


async def push_config(settings: Settings, topic: str, key: str, value: dict[str, Any]) -> None:
    from footfall.kafka_clients import make_producer

    producer = make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic(topic), orjson.dumps(value), key=key.encode())
    finally:
        await producer.stop()


async def test_every_action_kind_end_to_end(kafka_settings, peer, smtp, start_worker) -> None:
    settings = worker_settings(kafka_settings, smtp)
    await push_config(
        settings,
        "providers",
        "crm",
        {
            "name": "crm",
            "url": f"{peer.base}/provider",
            "secret_env": "CRM_SECRET",
            "timeout": "5s",
        },
    )
    await push_config(
        settings,
        "profiles",
        "agent:alice",
        {
            "id": "agent:alice",
            "name": "Alice",
            "emails": ["alice@example.com"],
            "sms": ["5550100@sms.example.com"],
            "enabled": True,
        },
    )
    worker = await start_worker(settings, environ={"CRM_SECRET": f"{OLD_SECRET} {SECRET}"})

    alice = {"role": "agent", "id": "alice"}
    commands = [
        build_command(
            "call_web_page",
            {"url": f"{peer.base}/web", "method": "POST", "body": {"hello": "world"}},
            seq=1,
        ),
        build_command("notify_external_provider", {"provider": "crm", "payload": {"p": 1}}, seq=2),
        build_command("log_to_file", {"file": "out/visits.log"}, seq=3),
        build_command("purge_from_list", {}, seq=4, visitor_id="v-purge"),
        build_command("remove_from_list", {}, seq=5, visitor_id="v-remove"),
        build_command(
            "send_email",
            {
                "to": ["ops@example.com"],
                "bcc": ["audit@example.com"],
                "subject": "Visitor on pricing",
                "body": "3 hits",
            },
            seq=6,
        ),
        build_command(
            "send_live_chat_invitation",
            {"message": "Need help?", "department": "sales", "agent": "bob"},
            seq=7,
            visitor_id="v-chat",
        ),
        build_command(
            "use_my_notification_profile",
            {"subject": "S" * 200, "body": "B" * 400},
            seq=8,
            owner=alice,
        ),
    ]
    await produce_commands(settings, commands)

    await eventually(lambda: len(peer.requests) >= 2 and smtp.received_count >= 3)
    by_id = {c["action"]["kind"]: c for c in commands}

    web = peer.for_path("/web")[0]
    assert web.method == "POST" and orjson.loads(web.body) == {"hello": "world"}
    assert web.headers["Idempotency-Key"] == by_id["call_web_page"]["command_id"]

    provider = peer.for_path("/provider")[0]
    headers = {k.lower(): v for k, v in provider.headers.items()}
    assert headers["webhook-id"] == by_id["notify_external_provider"]["command_id"]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (SECRET, OLD_SECRET):
        assert Webhook(secret).verify(provider.body, headers) == {
            "command": by_id["notify_external_provider"],
            "payload": {"p": 1},
        }
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(provider.body.replace(b'"p":1', b'"p":2'), headers)
    stale = dict(headers, **{"webhook-timestamp": str(int(time.time()) - 3600)})
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(provider.body, stale)

    log_file = settings.log_dir / "out/visits.log"
    await eventually(log_file.exists)
    assert orjson.loads(log_file.read_text().splitlines()[0]) == by_id["log_to_file"]

    control = await read_topic(settings, "control", count=2)
    assert sorted((k, v["type"]) for k, v in control) == [
        (b"v-purge", "purge"),
        (b"v-remove", "remove"),
    ]
    purge = next(v for _, v in control if v["type"] == "purge")
    assert purge["event_id"] == derive_id(by_id["purge_from_list"]["command_id"], "control")
    assert purge["caused_by"] == {"rule_id": "test-rule", "depth": 1}

    invitations = await read_topic(settings, "chat-invitations", count=1)
    events = await read_topic(settings, "chat-events", count=1)
    invitation_id = derive_id(by_id["send_live_chat_invitation"]["command_id"], "invitation")
    assert invitations[0][0] == b"v-chat" and invitations[0][1]["invitation_id"] == invitation_id
    ((key, event),) = events
    assert key == b"v-chat"
    assert event["type"] == "chat_invited" and event["invitation_id"] == invitation_id
    assert event["source"] == "rule:test-rule" and event["agent"] == "bob"
    assert event["department"] == "sales" and event["message"] == "Need help?"

    mails = {m.message_id: m for m in smtp.mails}
    mail = mails[f"<{by_id['send_email']['command_id']}@footfall>"]
    assert sorted(mail.rcpt_tos) == ["audit@example.com", "ops@example.com"]
    assert mail.subject == "Visitor on pricing"
    assert b"audit@example.com" not in mail.raw  # Bcc travels in the envelope only
    profile_id = by_id["use_my_notification_profile"]["command_id"]
    assert mails[f"<{profile_id}@footfall>"].rcpt_tos == ("alice@example.com",)
    sms = mails[f"<{profile_id}.sms@footfall>"]
    assert sms.rcpt_tos == ("5550100@sms.example.com",) and sms.subject == "S" * 160

    await eventually(lambda: worker.metrics.executed.labels("log_to_file")._value.get() == 1)
    async with aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{worker.web.port}"
        async with http.get(f"{base}/readyz") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/metrics") as resp:
            text = await resp.text()
    assert 'footfall_worker_commands_executed_total{kind="send_email"} 1.0' in text
    assert "footfall_worker_command_seconds_bucket" in text
    assert SECRET not in text
    assert await read_topic(settings, "dead-letters", wait=0.5) == []


async def test_header_injection_is_neutralised_and_path_escape_goes_to_dead_letters(
    kafka_settings, smtp, start_worker
) -> None:
    settings = worker_settings(kafka_settings, smtp)
    outside = settings.log_dir.parent / f"outside-{settings.topic_prefix}log"
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    (settings.log_dir / "link").symlink_to(settings.log_dir.parent, target_is_directory=True)
    # a line break in a subject is literal text (sent as a space), never a new header
    injected = build_command(
        "send_email",
        {"to": ["a@example.com"], "subject": "Hi\r\nBcc: victim@example.com"},
        seq=1,
    )
    bad = [
        build_command("send_email", {"to": ["a@example.com\r\nBcc: victim@example.com"]}, seq=2),
        build_command("log_to_file", {"file": "../escape.log"}, seq=3),
        build_command("log_to_file", {"file": f"link/{outside.name}"}, seq=4),
        build_command("log_to_file", {"file": "/etc/footfall.log"}, seq=5),
    ]
    good = build_command("send_email", {"to": ["a@example.com"], "subject": "fine"}, seq=6)
    await start_worker(settings)
    await produce_commands(settings, [injected, *bad, good])
    letters = await read_topic(settings, "dead-letters", count=len(bad), wait=20)
    assert sorted(v["payload"]["command_id"] for _, v in letters) == sorted(
        c["command_id"] for c in bad
    )
    for _, letter in letters:
        assert letter["reason"] == "action_failed" and letter["attempts"] == 1
        assert letter["source"]["topic"] == settings.topic("actions")
        assert isinstance(letter["source"]["offset"], int) and letter["error"]
    await eventually(lambda: smtp.received_count >= 2)
    await asyncio.sleep(0.5)
    subjects = sorted(m.subject for m in smtp.mails)
    assert len(subjects) == 2 and subjects[1] == "fine"
    assert subjects[0].startswith("Hi") and subjects[0].endswith("Bcc: victim@example.com")
    assert "\r" not in subjects[0] and "\n" not in subjects[0]
    assert all("victim" not in " ".join(m.rcpt_tos) for m in smtp.mails)
    assert not outside.exists()
    assert not (settings.log_dir.parent / "escape.log").exists()
