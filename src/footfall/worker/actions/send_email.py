"""``send_email``: one message over SMTP to ``to``, ``cc`` and ``bcc`` (SPEC §5)."""

from __future__ import annotations

from datetime import UTC, datetime

from footfall.worker.actions.params import optional_text
from footfall.worker.command import Command
from footfall.worker.context import ActionContext
from footfall.worker.errors import BadCommandError
from footfall.worker.mail import Mail, address_list, build_message, message_id

__all__ = ["execute", "send_mail"]


async def execute(command: Command, ctx: ActionContext) -> None:
    params = command.params
    mail = Mail(
        to=address_list(params.get("to"), "params.to"),
        cc=address_list(params.get("cc"), "params.cc"),
        bcc=address_list(params.get("bcc"), "params.bcc"),
        reply_to=address_list(params.get("reply_to"), "params.reply_to"),
        subject=optional_text(params, "subject"),
        body=optional_text(params, "body"),
    )
    if not mail.recipients:
        raise BadCommandError("send_email: no recipient in to, cc or bcc")
    await send_mail(mail, message_id(command.command_id), ctx)


async def send_mail(mail: Mail, msg_id: str, ctx: ActionContext) -> None:
    sender = ctx.settings.smtp.mail_from
    now = datetime.fromtimestamp(ctx.clock(), UTC)
    message = build_message(mail, sender, msg_id, now)
    await ctx.mailer.send(message, sender, mail.recipients)
