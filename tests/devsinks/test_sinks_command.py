"""``python -m footfall.devsinks`` (the compose sinks): serve, keep files, stop on SIGTERM."""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib
from standardwebhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"sinks-command-test-secret-000000").decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


async def test_sinks_command_serves_keeps_files_and_stops(tmp_path: Path) -> None:
    smtp_port, http_port = free_port(), free_port()
    env = {"SINK_TEST_SECRET": SECRET, "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [
            sys.executable, "-m", "footfall.devsinks", "--smtp-port", str(smtp_port),
            "--http-port", str(http_port), "--dir", str(tmp_path), "--secret-env",
            "SINK_TEST_SECRET",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until_listening(smtp_port)
        wait_until_listening(http_port)
        message = "Subject: hi\r\nFrom: a@example.com\r\nTo: b@example.com\r\n\r\nhello\r\n"
        await aiosmtplib.send(
            message,
            sender="a@example.com",
            recipients=["b@example.com"],
            hostname="127.0.0.1",
            port=smtp_port,
        )
        body = json.dumps({"command": {"command_id": "c-9"}, "payload": None})
        now = datetime.now(UTC)
        headers = {
            "webhook-id": "c-9",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(SECRET).sign("c-9", now, body),
            "content-type": "application/json",
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{http_port}/providers/crm",
            data=body.encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        with urllib.request.urlopen(
            f"http://127.0.0.1:{http_port}/_sink/mails", timeout=5
        ) as response:
            mails = json.loads(response.read())
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert f"smtp://127.0.0.1:{smtp_port}" in output
    assert mails["count"] == 1 and mails["mails"][0]["subject"] == "hi"
    assert len(list((tmp_path / "mails").glob("*.eml"))) == 1
    (record,) = [
        json.loads(line) for line in (tmp_path / "webhooks.jsonl").read_text().splitlines()
    ]
    assert record["path"] == "/providers/crm"
    assert record["signature_valid"] is True
