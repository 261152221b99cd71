"""``call_web_page``: one HTTP request to ``url``; 2xx is success (SPEC §5)."""

from __future__ import annotations

import orjson

from footfall.worker.actions.params import required_text, seconds
from footfall.worker.command import Command
from footfall.worker.context import ActionContext
from footfall.worker.errors import BadCommandError
from footfall.worker.http import check_headers, send

__all__ = ["DEFAULT_TIMEOUT", "execute"]

DEFAULT_TIMEOUT = 10.0
METHODS = ("GET", "POST", "PUT")


async def execute(command: Command, ctx: ActionContext) -> None:
    params = command.params
    url = required_text(params, "url")
    method = str(params.get("method") or "GET").upper()
    if method not in METHODS:
        raise BadCommandError(f"params.method: {method!r} is not one of {', '.join(METHODS)}")
    headers = {
        name: value
        for name, value in check_headers(params.get("headers")).items()
        if name.lower() != "idempotency-key"
    }
    body: bytes | None = None
    if method in ("POST", "PUT"):
        value = params.get("body", command.raw)
        body = orjson.dumps(value)
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = command.command_id
    await send(
        ctx.http,
        ctx.allowlist,
        method,
        url,
        headers=headers,
        body=body,
        timeout=seconds(params, "timeout", DEFAULT_TIMEOUT),
        now=ctx.clock(),
    )
