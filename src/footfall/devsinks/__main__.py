"""Run the SMTP and webhook sinks standalone: ``python -m footfall.devsinks``.

Used by docker compose; ``footfall dev`` starts the same sinks in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from pathlib import Path

from footfall.devsinks.mail import SmtpSink
from footfall.devsinks.webhook import WebhookSink


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m footfall.devsinks",
        description="Local SMTP and webhook sinks that keep what they receive.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--smtp-port", type=int, default=1025, help="SMTP port (0: none)")
    parser.add_argument("--http-port", type=int, default=8025, help="webhook port (0: none)")
    parser.add_argument("--dir", type=Path, default=Path("footfall-sinks"), help="where to keep")
    parser.add_argument(
        "--secret-env",
        action="append",
        default=[],
        metavar="NAME",
        help="environment variable holding a whsec_ secret to check signatures with",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    mail = SmtpSink(args.dir / "mails")
    secrets = tuple(os.environ[name] for name in args.secret_env if os.environ.get(name))
    hooks = WebhookSink(args.dir / "webhooks.jsonl", secrets=secrets, mail_sink=mail)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.smtp_port:
        host, port = await mail.start(args.host, args.smtp_port)
        print(f"SMTP sink:    smtp://{host}:{port}", flush=True)
    if args.http_port:
        host, port = await hooks.start(args.host, args.http_port)
        print(f"webhook sink: http://{host}:{port}/  (listing at /_sink/)", flush=True)
    try:
        await stop.wait()
    finally:
        await hooks.stop()
        await mail.stop()


def main() -> int:
    args = _parser().parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
