"""``use_my_notification_profile``: mail the rule owner's notification profile (SPEC §6).

The profile id is ``agent:<owner id>`` for agent rules and ``admin:<owner id>`` (or
``admin`` without an id) for admin rules. Its ``emails`` get one message with the full
subject and body; its ``sms`` addresses (e-mail-to-SMS gateways) get a second message
whose subject and body are each cut to 160 characters. A missing or disabled profile,
or one without addresses, is a permanent failure.
"""

from __future__ import annotations

from footfall.worker.actions.params import optional_text
from footfall.worker.actions.send_email import send_mail
from footfall.worker.command import Command
from footfall.worker.context import ActionContext
from footfall.worker.errors import BadCommandError, ConfigurationError
from footfall.worker.mail import Mail, address_list, message_id

__all__ = ["SMS_LIMIT", "execute", "profile_id"]

SMS_LIMIT = 160


def profile_id(command: Command) -> str:
    owner = command.owner
    if owner is None:
        raise BadCommandError("rule.owner: needed to find the notification profile")
    if owner.role == "agent":
        if owner.id is None:
            raise BadCommandError("rule.owner.id: an agent rule needs an owner id")
        return f"agent:{owner.id}"
    if owner.role == "admin":
        return f"admin:{owner.id}" if owner.id else "admin"
    raise BadCommandError(f"rule.owner.role: {owner.role!r} is not admin or agent")


async def execute(command: Command, ctx: ActionContext) -> None:
    ident = profile_id(command)
    profile = ctx.directory.profiles.get(ident)
    if profile is None:
        raise ConfigurationError(f"no notification profile {ident!r}")
    if not profile.enabled:
        raise ConfigurationError(f"notification profile {ident!r} is disabled")
    if not profile.emails and not profile.sms:
        raise ConfigurationError(f"notification profile {ident!r} has no addresses")
    subject = optional_text(command.params, "subject")
    body = optional_text(command.params, "body")
    if profile.emails:
        mail = Mail(
            to=address_list(list(profile.emails), f"profile {ident} emails"),
            subject=subject,
            body=body,
        )
        await send_mail(mail, message_id(command.command_id), ctx)
    if profile.sms:
        sms = Mail(
            to=address_list(list(profile.sms), f"profile {ident} sms"),
            subject=subject[:SMS_LIMIT],
            body=body[:SMS_LIMIT],
        )
        await send_mail(sms, message_id(command.command_id, "sms"), ctx)
