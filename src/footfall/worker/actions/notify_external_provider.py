"""``notify_external_provider``: a Standard Webhooks signed POST to a provider (SPEC §6).

Body ``{"command": <command>, "payload": <params.payload>}``; headers ``webhook-id`` (the
command id), ``webhook-timestamp`` (this attempt) and ``webhook-signature`` (one ``v1``
signature per secret in the provider's ``secret_env`` variable, read at send time),
plus ``Idempotency-Key``. The provider's URL passes the same address checks as
``call_web_page``.
"""

from __future__ import annotations

import orjson

from footfall.worker.actions.params import required_text
from footfall.worker.command import Command
from footfall.worker.context import ActionContext
from footfall.worker.errors import ConfigurationError
from footfall.worker.http import send
from footfall.worker.signing import parse_secrets, webhook_headers

__all__ = ["execute"]


async def execute(command: Command, ctx: ActionContext) -> None:
    name = required_text(command.params, "provider")
    provider = ctx.directory.providers.get(name)
    if provider is None:
        raise ConfigurationError(
            f"unknown provider {name!r} (push it with footfall providers push)"
        )
    keys = parse_secrets(ctx.environ.get(provider.secret_env), provider.secret_env)
    body = orjson.dumps({"command": command.raw, "payload": command.params.get("payload")})
    now = ctx.clock()
    headers = webhook_headers(keys, command.command_id, int(now), body)
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = command.command_id
    await send(
        ctx.http,
        ctx.allowlist,
        "POST",
        provider.url,
        headers=headers,
        body=body,
        timeout=provider.timeout,
        now=now,
    )
