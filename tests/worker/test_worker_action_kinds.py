"""Each action against recorders and a real local aiohttp server (no broker needed)."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from standardwebhooks import Webhook

from footfall.settings import Settings
from footfall.worker.actions import ACTIONS
from footfall.worker.command import command_from_dict, derive_id
from footfall.worker.context import ActionContext
from footfall.worker.directory import Directory, Profile, Provider
from footfall.worker.errors import (
    BadCommandError,
    ConfigurationError,
    HttpStatusError,
    RejectedError,
    TargetRefusedError,
    TransientActionError,
    UnsafePathError,
)
from footfall.worker.http import make_session
from footfall.worker.netguard import Allowlist
from footfall.worker.testing import RecordingMailer, RecordingPublisher, build_command

SECRET = "whsec_" + base64.b64encode(b"provider secret for tests").decode()


class Peer:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.status = 200
        self.extra_headers: dict[str, str] = {}

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append((request.method, request.path_qs, dict(request.headers), body))
        return web.Response(
            status=self.status, text="secret response body", headers=self.extra_headers
        )


@pytest.fixture
async def peer() -> AsyncIterator[tuple[Peer, str]]:
    p = Peer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", p.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield p, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[ActionContext]:
    allow = Allowlist.parse(["127.0.0.1"])
    session = make_session(allow)
    directory = Directory()
    context = ActionContext(
        settings=Settings(log_dir=tmp_path / "logs"),
        http=session,
        allowlist=allow,
        mailer=RecordingMailer(),
        publish=RecordingPublisher(),
        directory=directory,
        environ={"ACME_SECRET": SECRET},
        clock=time.time,
    )
    yield context
    await session.close()


async def run(kind: str, params: dict[str, Any], ctx: ActionContext, **kw: Any) -> dict[str, Any]:
    raw = build_command(kind, params, **kw)
    await ACTIONS[kind](command_from_dict(raw), ctx)
    return raw


async def test_call_web_page_post_default_body_and_idempotency_key(peer, ctx) -> None:
    p, base = peer
    raw = await run(
        "call_web_page",
        {"url": f"{base}/hook?q=1", "method": "post", "headers": {"X-Test": "yes"}},
        ctx,
    )
    method, path, headers, body = p.requests[0]
    assert (method, path) == ("POST", "/hook?q=1")
    assert headers["Idempotency-Key"] == raw["command_id"]
    assert headers["X-Test"] == "yes"
    assert headers["Content-Type"] == "application/json"
    assert orjson.loads(body) == raw


async def test_call_web_page_get_with_explicit_body_ignored_and_put_body(peer, ctx) -> None:
    p, base = peer
    await run("call_web_page", {"url": f"{base}/g"}, ctx)
    await run("call_web_page", {"url": f"{base}/p", "method": "PUT", "body": {"a": [1]}}, ctx)
    assert p.requests[0][0] == "GET" and p.requests[0][3] == b""
    assert p.requests[1][0] == "PUT" and orjson.loads(p.requests[1][3]) == {"a": [1]}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (503, HttpStatusError),
        (429, HttpStatusError),
        (400, RejectedError),
        (404, RejectedError),
        (302, RejectedError),
        (301, RejectedError),
    ],
)
async def test_call_web_page_status_classes(peer, ctx, status: int, error: type) -> None:
    p, base = peer
    p.status = status
    p.extra_headers = {"Retry-After": "7", "Location": f"{base}/elsewhere"}
    with pytest.raises(error) as info:
        await run("call_web_page", {"url": f"{base}/s"}, ctx)
    assert len(p.requests) == 1  # the redirect is not followed
    assert "secret response body" not in str(info.value)
    if error is HttpStatusError:
        assert info.value.retry_after == 7


async def test_call_web_page_refuses_loopback_without_allowlist(peer, ctx) -> None:
    p, base = peer
    ctx.allowlist = Allowlist()
    session = make_session(Allowlist())
    ctx.http = session
    try:
        with pytest.raises(TargetRefusedError):
            await run("call_web_page", {"url": f"{base}/x"}, ctx)
        port = base.rsplit(":", 1)[1]
        with pytest.raises(TargetRefusedError):  # a name resolving to loopback
            await run("call_web_page", {"url": f"http://localhost:{port}/x"}, ctx)
    finally:
        await session.close()
    assert p.requests == []


async def test_call_web_page_connection_refused_is_transient(ctx) -> None:
    with pytest.raises(TransientActionError):
        await run("call_web_page", {"url": "http://127.0.0.1:1/", "timeout": "2s"}, ctx)


async def test_call_web_page_bad_params(ctx) -> None:
    with pytest.raises(BadCommandError):
        await run("call_web_page", {"url": "http://127.0.0.1:1/", "method": "DELETE"}, ctx)
    with pytest.raises(BadCommandError):
        await run(
            "call_web_page", {"url": "http://127.0.0.1:1/", "headers": {"X": "a\r\nB: c"}}, ctx
        )


async def test_notify_external_provider_signed(peer, ctx) -> None:
    p, base = peer
    ctx.directory.providers["acme"] = Provider("acme", f"{base}/wh", "ACME_SECRET", 5.0)
    raw = await run("notify_external_provider", {"provider": "acme", "payload": {"x": 1}}, ctx)
    _, path, headers, body = p.requests[0]
    assert path == "/wh"
    assert headers["webhook-id"] == raw["command_id"]
    verified = Webhook(SECRET).verify(body, {k.lower(): v for k, v in headers.items()})
    assert verified == {"command": raw, "payload": {"x": 1}}


async def test_notify_external_provider_missing_provider_or_secret(peer, ctx) -> None:
    _, base = peer
    with pytest.raises(ConfigurationError, match="unknown provider"):
        await run("notify_external_provider", {"provider": "nope"}, ctx)
    ctx.directory.providers["acme"] = Provider("acme", f"{base}/wh", "UNSET_VAR", 5.0)
    with pytest.raises(ConfigurationError, match="UNSET_VAR"):
        await run("notify_external_provider", {"provider": "acme"}, ctx)


async def test_log_to_file_default_and_custom_lines(ctx) -> None:
    raw = await run("log_to_file", {"file": "rules/a.log"}, ctx)
    await run("log_to_file", {"file": "rules/a.log", "line": "two\nlines"}, ctx)
    lines = (ctx.settings.log_dir / "rules/a.log").read_text().splitlines()
    assert orjson.loads(lines[0]) == raw
    assert lines[1] == "two lines"
    with pytest.raises(UnsafePathError):
        await run("log_to_file", {"file": "../escape.log"}, ctx)


async def test_control_actions_publish_with_derived_event_id(ctx) -> None:
    raw = await run(
        "purge_from_list", {}, ctx, visitor_id="v9", caused_by={"rule_id": "other", "depth": 1}
    )
    await run("remove_from_list", {}, ctx, visitor_id="v9", seq=2)
    messages = ctx.publish.messages  # type: ignore[attr-defined]
    assert [(t, k, v["type"]) for t, k, v in messages] == [
        ("control", "v9", "purge"),
        ("control", "v9", "remove"),
    ]
    purge = messages[0][2]
    assert purge["event_id"] == derive_id(raw["command_id"], "control")
    assert purge["caused_by"] == {"rule_id": "test-rule", "depth": 2}
    assert messages[1][2]["caused_by"] == {"rule_id": "test-rule", "depth": 1}


async def test_chat_invitation_publishes_both_messages(ctx) -> None:
    raw = await run("send_live_chat_invitation", {"message": "Hi!", "department": "sales"}, ctx)
    (t1, k1, inv), (t2, k2, event) = ctx.publish.messages  # type: ignore[attr-defined]
    assert (t1, t2, k1, k2) == ("chat-invitations", "chat-events", "v-1", "v-1")
    assert (
        inv["invitation_id"] == event["invitation_id"] == derive_id(raw["command_id"], "invitation")
    )
    assert event["type"] == "chat_invited" and event["source"] == "rule:test-rule"
    assert event["department"] == "sales" and event["message"] == "Hi!"
    assert event["event_id"] == derive_id(raw["command_id"], "chat_invited")


async def test_send_email(ctx) -> None:
    raw = await run(
        "send_email",
        {"to": ["a@example.com"], "bcc": ["b@example.com"], "subject": "S", "body": "B"},
        ctx,
    )
    ((message, _, recipients),) = ctx.mailer.sent  # type: ignore[attr-defined]
    assert recipients == ["a@example.com", "b@example.com"]
    assert message["Message-ID"] == f"<{raw['command_id']}@footfall>"
    with pytest.raises(BadCommandError):
        await run("send_email", {"to": ["a@example.com\r\nBcc: e@vil.com"]}, ctx)
    with pytest.raises(BadCommandError):
        await run("send_email", {"subject": "nobody"}, ctx)


async def test_notification_profile_email_and_sms(ctx) -> None:
    ctx.directory.profiles["agent:alice"] = Profile(
        "agent:alice", "Alice", ("alice@example.com",), ("5551234@sms.example.com",), True
    )
    long_subject, long_body = "S" * 300, "B" * 500
    await run(
        "use_my_notification_profile",
        {"subject": long_subject, "body": long_body},
        ctx,
        owner={"role": "agent", "id": "alice"},
    )
    (mail, _, to_mail), (sms, _, to_sms) = ctx.mailer.sent  # type: ignore[attr-defined]
    assert to_mail == ["alice@example.com"] and to_sms == ["5551234@sms.example.com"]
    assert mail["Subject"] == long_subject and mail.get_content().strip() == long_body
    assert sms["Subject"] == "S" * 160 and sms.get_content().strip() == "B" * 160
    assert mail["Message-ID"] != sms["Message-ID"]


@pytest.mark.parametrize(
    ("owner", "profile", "enabled"),
    [({"role": "admin"}, "admin", False), ({"role": "admin", "id": "root"}, "admin:x", True)],
)
async def test_notification_profile_disabled_or_missing(ctx, owner, profile, enabled) -> None:
    ctx.directory.profiles[profile] = Profile(profile, "P", ("p@example.com",), (), enabled)
    with pytest.raises(ConfigurationError):
        await run("use_my_notification_profile", {"subject": "s", "body": "b"}, ctx, owner=owner)
    assert ctx.mailer.sent == []  # type: ignore[attr-defined]


async def test_published_messages_parse_as_the_processor_reads_them(ctx) -> None:
    from footfall.events import parse_control, parse_event

    raw = await run("remove_from_list", {}, ctx, visitor_id="v7")
    await run("send_live_chat_invitation", {"message": "Hi", "agent": "bob"}, ctx, visitor_id="v7")
    (_, _, control), (_, _, _invitation), (_, _, chat) = ctx.publish.messages  # type: ignore[attr-defined]
    parsed = parse_control(orjson.dumps(control))
    assert parsed.type == "remove" and parsed.visitor_id == "v7"
    assert parsed.identity == derive_id(raw["command_id"], "control")
    assert parsed.depth == 1
    event = parse_event(orjson.dumps(chat))
    assert event.type == "chat_invited"
    assert event.depth == 1
