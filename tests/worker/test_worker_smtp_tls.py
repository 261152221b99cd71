"""The SMTP pool against a real aiosmtpd server with STARTTLS or implicit TLS and AUTH."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from footfall.settings import SmtpSettings
from footfall.worker.errors import RejectedError
from footfall.worker.mail import Mail, SmtpPool, build_message


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[Any, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((session.auth_data, envelope.content))
        return "250 OK"


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"robot", b"s3cret")
    return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


async def serve(recorder: Recorder, context: ssl.SSLContext, implicit: bool) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            recorder,
            hostname="localhost",
            tls_context=None if implicit else context,
            require_starttls=not implicit,
            authenticator=authenticator,
            # aiosmtpd only knows STARTTLS sessions as TLS; implicit TLS is TLS anyway
            auth_require_tls=not implicit,
        ),
        host="127.0.0.1",
        port=0,
        ssl=context if implicit else None,
    )


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_tls_and_auth(certificate, monkeypatch, mode: str) -> None:
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder = Recorder()
    server = await serve(recorder, context, implicit=mode == "tls")
    port = server.sockets[0].getsockname()[1]
    message = build_message(
        Mail(to=("a@example.com",), subject="over TLS", body="hello"),
        "f@example.com", "<tls@footfall>", datetime.now(UTC),
    )  # fmt: skip
    try:
        pool = SmtpPool(SmtpSettings(host="localhost", port=port, username="robot",
                                     password="s3cret", tls=mode))  # fmt: skip
        await pool.send(message, "f@example.com", ["a@example.com"])
        await pool.send(message, "f@example.com", ["a@example.com"])  # reuses the connection
        await pool.close()
        assert [auth for auth, _ in recorder.messages] == [b"robot", b"robot"]
        assert b"Message-ID: <tls@footfall>" in recorder.messages[0][1]

        wrong = SmtpPool(SmtpSettings(host="localhost", port=port, username="robot",
                                      password="wrong", tls=mode))  # fmt: skip
        with pytest.raises(RejectedError, match="535"):
            await wrong.send(message, "f@example.com", ["a@example.com"])
        await wrong.close()
    finally:
        server.close()
        await server.wait_closed()
